"""Pool bounds and the statement timeout reach the engine and PostgreSQL."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from prescripcare.db import create_engine
from prescripcare.settings import Settings, SettingsError, load_settings
from tests.processes import cli_env


async def test_pool_bounds_and_statement_timeout_apply(migrated: Settings) -> None:
    settings = migrated.model_copy(
        update={
            "database_pool_min": 2,
            "database_pool_max": 7,
            "database_statement_timeout_ms": 1500,
        }
    )
    engine = create_engine(settings)
    try:
        pool = engine.sync_engine.pool
        assert pool.size() == 2  # type: ignore[attr-defined]
        assert pool._max_overflow == 5  # type: ignore[attr-defined]
        async with engine.connect() as conn:
            assert await conn.scalar(text("SHOW statement_timeout")) == "1500ms"
            with pytest.raises(Exception, match="statement timeout"):
                await conn.execute(text("SELECT pg_sleep(3)"))
    finally:
        await engine.dispose()


def test_a_max_below_the_min_is_refused() -> None:
    with pytest.raises(SettingsError, match="DATABASE_POOL_MAX must be at least"):
        load_settings(database_pool_min=10, database_pool_max=5)


async def test_migrations_run_without_the_statement_timeout(
    migrated: Settings, empty_database: str, tmp_path: Path
) -> None:
    env = cli_env(migrated, DATABASE_STATEMENT_TIMEOUT_MS="1")
    env["DATABASE_URL"] = empty_database
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "prescripcare.cli", "migrate"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
