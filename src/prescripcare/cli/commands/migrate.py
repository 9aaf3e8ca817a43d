"""`migrate`: upgrade the database to the newest schema."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from prescripcare.cli.common import on_settings, run

if TYPE_CHECKING:
    from prescripcare.cli.common import Subparsers
    from prescripcare.settings import Settings


def register(sub: Subparsers) -> None:
    migrate = sub.add_parser("migrate", help="upgrade the database to the newest schema")
    on_settings(migrate, _migrate)


def _migrate(settings: Settings, args: argparse.Namespace) -> None:
    run(lambda: _upgrade(settings))
    print("database is at the newest schema")


async def _upgrade(settings: Settings) -> None:
    from prescripcare.db import create_engine
    from prescripcare.migrate import upgrade

    engine = create_engine(settings)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
