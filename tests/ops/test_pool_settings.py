"""Pool bounds and the statement timeout reach the engine and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from prescripcare.db import create_engine
from prescripcare.settings import Settings, SettingsError, load_settings


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
