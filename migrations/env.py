"""Alembic environment: runs on the connection `prescripcare.migrate` hands
it, or, for the `alembic` command in a checkout, on DATABASE_URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

import prescripcare.models  # noqa: F401 - registers every table on the metadata
from prescripcare.db import metadata

config = context.config


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_settings() -> None:
    from prescripcare.db import create_engine
    from prescripcare.settings import load_settings

    engine = create_engine(load_settings())
    async with engine.begin() as connection:
        await connection.run_sync(run_on)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline SQL generation is not supported; run against a database")

shared = config.attributes.get("connection")
if shared is not None:
    run_on(shared)
else:
    asyncio.run(run_from_settings())
