"""A throwaway database for a benchmark: on DATABASE_URL's server when set,
else on an embedded PostgreSQL; migrated; dropped afterwards."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from prescripcare.db import create_engine
from prescripcare.embedded import EmbeddedServices
from prescripcare.migrate import upgrade
from prescripcare.settings import Settings


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def bench_database() -> Iterator[Settings]:
    with (
        tempfile.TemporaryDirectory(prefix="prescripcare-bench-") as tmp,
        EmbeddedServices(
            Path(tmp),
            database_url=os.environ.get("DATABASE_URL"),
            redis_url=os.environ.get("REDIS_URL"),
            delete_on_stop=True,
        ) as services,
    ):
        assert services.database_url and services.redis_url
        name = f"prescripcare_bench_{uuid.uuid4().hex[:8]}"

        async def admin(sql: str) -> None:
            conn = await asyncpg.connect(_dsn(services.database_url or ""))
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        url = (
            make_url(services.database_url).set(database=name).render_as_string(hide_password=False)
        )
        settings = Settings(database_url=url, redis_url=services.redis_url)

        async def migrate() -> None:
            engine = create_engine(settings)
            await upgrade(engine)
            await engine.dispose()

        asyncio.run(migrate())
        try:
            yield settings
        finally:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
