"""Encryption keys: `rotate-key` (re-encrypt under ENCRYPTION_KEY) and
`blind-index-key` (print the one in use, to pin it)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from prescripcare.cli.common import on_settings, run

if TYPE_CHECKING:
    from prescripcare.cli.common import Subparsers
    from prescripcare.settings import Settings


def register(sub: Subparsers) -> None:
    rotate = sub.add_parser(
        "rotate-key", help="re-encrypt every encrypted value under ENCRYPTION_KEY"
    )
    rotate.add_argument("--batch-size", type=int, default=500, help="values per transaction")
    on_settings(rotate, _rotate_key_command)

    blind = sub.add_parser("blind-index-key", help="print the blind-index key in use, to pin it")
    on_settings(blind, _blind_index_key)


def _rotate_key_command(settings: Settings, args: argparse.Namespace) -> None:
    if args.batch_size < 1:
        raise SystemExit("prescripcare: --batch-size must be at least 1")
    run(lambda: _rotate_key(settings, args.batch_size))


async def _rotate_key(settings: Settings, batch_size: int) -> None:
    from prescripcare.db import create_engine
    from prescripcare.encryption.keys import keyring_from_settings
    from prescripcare.encryption.rotate import RotationRefused, rotate

    keyring = keyring_from_settings(settings)
    engine = create_engine(settings)
    try:
        report = await rotate(engine, keyring, batch_size=batch_size)
    except RotationRefused as exc:
        raise SystemExit(f"prescripcare: rotate-key refused, nothing changed: {exc}") from None
    finally:
        await engine.dispose()
    for where, count in report.rotated.items():
        print(f"{where}: {count} re-encrypted")
    print(f"{report.total} values re-encrypted; all now under key {keyring.current.id.hex()}")


def _blind_index_key(settings: Settings, args: argparse.Namespace) -> None:
    from prescripcare.encryption.keyformat import encode_key
    from prescripcare.encryption.keys import keyring_from_settings

    keyring = keyring_from_settings(settings)
    origin = (
        "BLIND_INDEX_KEY" if keyring.blind_index_key_explicit else "derived from ENCRYPTION_KEY"
    )
    print(f"# blind-index key in use ({origin}); keep it as BLIND_INDEX_KEY", file=sys.stderr)
    print(encode_key(keyring.blind_index_key))
