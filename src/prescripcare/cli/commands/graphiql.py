"""`graphiql-assets`: GraphiQL's scripts and styles for offline use."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from prescripcare.cli.common import load, on_plain

if TYPE_CHECKING:
    from prescripcare.cli.common import Subparsers


def register(sub: Subparsers) -> None:
    assets = sub.add_parser(
        "graphiql-assets", help="download GraphiQL's scripts and styles for offline use"
    )
    assets.add_argument("--output", help="directory (default: GRAPHIQL_ASSETS_DIR)")
    assets.add_argument("--registry", help="npm registry (default: NPM_CONFIG_REGISTRY or npmjs)")
    on_plain(assets, _graphiql_assets)


def _graphiql_assets(args: argparse.Namespace) -> None:
    from prescripcare.graphiql_assets import AssetFetchError, fetch_assets

    directory = Path(args.output) if args.output else load().graphiql_assets_dir
    try:
        written = fetch_assets(directory, args.registry)
    except AssetFetchError as exc:
        raise SystemExit(f"prescripcare: {exc} (GraphiQL falls back to the CDN)") from None
    for path in written:
        print(f"fetched {path}")
    print(f"GraphiQL assets {'ready' if written else 'already present'} in {directory}")
