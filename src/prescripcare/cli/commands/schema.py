"""`export-schema` (the SDL) and `trusted-documents build` (the manifest of
operations the apps may send)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from prescripcare.cli.common import on_plain, read_text

if TYPE_CHECKING:
    from prescripcare.cli.common import Subparsers


def register(sub: Subparsers) -> None:
    export = sub.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", help="write to this file instead")
    on_plain(export, _export_schema)

    trusted = sub.add_parser("trusted-documents", help="manifests of trusted GraphQL documents")
    trusted_sub = trusted.add_subparsers(dest="trusted_command", required=True)
    build = trusted_sub.add_parser(
        "build", help="hash each operation of .graphql files into a manifest {sha256: document}"
    )
    build.add_argument("sources", nargs="+", type=Path, metavar="operations.graphql")
    build.add_argument("--output", help="write to this file instead of stdout")
    on_plain(build, _build_trusted_documents)


def _export_schema(args: argparse.Namespace) -> None:
    from prescripcare.graphql.schema import export_sdl

    sdl = export_sdl()
    if args.output:
        Path(args.output).write_text(sdl)
    else:
        sys.stdout.write(sdl)


def _build_trusted_documents(args: argparse.Namespace) -> None:
    from graphql import GraphQLError

    from prescripcare.graphql.trusted import split_documents, write_manifest

    documents: dict[str, str] = {}
    for source in args.sources:
        try:
            documents.update(split_documents(read_text(source)))
        except GraphQLError as exc:
            raise SystemExit(f"prescripcare: {source}: {exc.message}") from None
    manifest = write_manifest(documents)
    if args.output:
        Path(args.output).write_bytes(manifest)
        print(f"{len(documents)} trusted documents written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(manifest.decode())
