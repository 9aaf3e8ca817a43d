"""Migration 0016 builds the rollup from the doses already recorded, and the
triggers it installs keep it from then on."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from prescripcare.db import create_engine
from prescripcare.migrate import upgrade
from prescripcare.settings import Settings

BEFORE = "0015"


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def empty_settings(settings: Settings, empty_database: str) -> Settings:
    """The run's settings on a database of this test's own."""
    return settings.model_copy(update={"database_url": empty_database})


HISTORY = """
INSERT INTO drug_concepts (rxcui, tty, name, source, source_version, licence, imported_at)
VALUES ('29046', 'IN', 'lisinopril', 'test', '1', 'test', now());
INSERT INTO patients (id, name, timezone, created_at, updated_at)
VALUES ('00000000-0000-0000-0000-0000000000a1', 'Kiri', 'Pacific/Auckland', now(), now());
INSERT INTO prescriptions (id, patient_id, rxcui, dose_quantity, dose_unit, start_date,
                           times_of_day, days_of_week, as_needed, status, created_at, updated_at)
VALUES ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000a1',
        '29046', 1, 'tablet', '2026-01-01', '{}', '{}', true, 'ACTIVE', now(), now());
INSERT INTO doses (id, prescription_id, patient_id, scheduled_at, status, taken_at, created_at)
VALUES
  -- 2026-01-10 08:00 and 20:00 in Auckland (UTC+13)
  (gen_random_uuid(), '00000000-0000-0000-0000-0000000000b1',
   '00000000-0000-0000-0000-0000000000a1', '2026-01-09T19:00:00Z', 'TAKEN',
   '2026-01-09T19:30:30Z', now()),
  (gen_random_uuid(), '00000000-0000-0000-0000-0000000000b1',
   '00000000-0000-0000-0000-0000000000a1', '2026-01-10T07:00:00Z', 'MISSED', NULL, now()),
  -- 2026-01-11 08:00 in Auckland
  (gen_random_uuid(), '00000000-0000-0000-0000-0000000000b1',
   '00000000-0000-0000-0000-0000000000a1', '2026-01-10T19:00:00Z', 'SKIPPED', NULL, now()),
  (gen_random_uuid(), '00000000-0000-0000-0000-0000000000b1',
   '00000000-0000-0000-0000-0000000000a1', '2026-01-11T07:00:00Z', 'SCHEDULED', NULL, now())
"""


def test_the_migration_back_fills_the_rollup_from_existing_doses(
    empty_settings: Settings,
) -> None:
    async def run() -> list[tuple[object, ...]]:
        engine = create_engine(empty_settings)
        await upgrade(engine, BEFORE)
        await engine.dispose()
        conn = await asyncpg.connect(_dsn(empty_settings.require_database_url()))
        try:
            for statement in HISTORY.split(";\n"):
                await conn.execute(statement)
        finally:
            await conn.close()
        engine = create_engine(empty_settings)
        await upgrade(engine)
        await engine.dispose()
        conn = await asyncpg.connect(_dsn(empty_settings.require_database_url()))
        try:
            # Kept from here on by the triggers: the pending dose is taken.
            await conn.execute(
                "UPDATE doses SET status = 'TAKEN', taken_at = scheduled_at "
                "WHERE status = 'SCHEDULED'"
            )
            rows = await conn.fetch(
                "SELECT day::text, doses, taken, missed, skipped, taken_minutes "
                "FROM dose_days ORDER BY day"
            )
        finally:
            await conn.close()
        return [tuple(r) for r in rows]

    assert asyncio.run(run()) == [
        ("2026-01-10", 2, 1, 1, 0, [31]),
        ("2026-01-11", 2, 1, 0, 1, [0]),
    ]
