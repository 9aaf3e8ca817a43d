"""Migration 0019 moves an existing, unpartitioned dose history into monthly
partitions: every dose, reminder and dose record survives with its
references, the rollup keeps counting, and the downgrade puts it back."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from alembic import command
from sqlalchemy.engine import Connection, make_url

from prescripcare.db import create_engine
from prescripcare.migrate import alembic_config, upgrade
from prescripcare.settings import Settings

BEFORE = "0018"
PATIENTS = 6

# A history over fourteen months (one row per patient, prescription and 12
# hours), a recorded dose in three, a reminder for every dose of the last
# months, a refill reminder with no dose, and a caregiver alert.
HISTORY = f"""
INSERT INTO drug_concepts (rxcui, tty, name, source, source_version, licence, imported_at)
VALUES ('29046', 'IN', 'lisinopril', 'test', '1', 'test', now());
INSERT INTO patients (id, name, timezone, created_at, updated_at)
SELECT ('00000000-0000-0000-0000-0000000000' || lpad(to_hex(i), 2, '0'))::uuid,
       'Patient ' || i, 'Europe/Madrid', now(), now()
FROM generate_series(1, {PATIENTS}) i;
INSERT INTO prescriptions (id, patient_id, rxcui, dose_quantity, dose_unit, start_date,
                           times_of_day, days_of_week, as_needed, status, created_at,
                           updated_at)
SELECT gen_random_uuid(), p.id, '29046', 1, 'tablet', '2025-10-01', '{{08:00,20:00}}', '{{}}',
       false, 'ACTIVE', now(), now()
FROM patients p;
INSERT INTO fills (id, prescription_id, filled_on, days_supply, created_at)
SELECT gen_random_uuid(), rx.id, '2026-11-01', 30, now() FROM prescriptions rx;
INSERT INTO doses (id, prescription_id, patient_id, scheduled_at, status, taken_at,
                   recorded_at, created_at)
SELECT gen_random_uuid(), rx.id, rx.patient_id, at,
       CASE WHEN at > '2026-12-01' THEN 'SCHEDULED'
            WHEN extract(hour FROM at) = 7 THEN 'TAKEN' ELSE 'MISSED' END,
       CASE WHEN at <= '2026-12-01' AND extract(hour FROM at) = 7
            THEN at + interval '10 minutes' END,
       CASE WHEN at <= '2026-12-01' THEN at + interval '1 hour' END,
       now()
FROM prescriptions rx,
     generate_series(timestamptz '2025-10-01 07:00Z', '2026-12-20 07:00Z', interval '12 hours')
       AS at;
INSERT INTO dose_records (id, dose_id, status, taken_at, recorded_at)
SELECT gen_random_uuid(), d.id, d.status, d.taken_at, d.recorded_at
FROM doses d WHERE d.status = 'TAKEN' AND random() < 0.3;
INSERT INTO reminders (id, kind, dose_id, patient_id, channel, due_at, status, attempts,
                       next_attempt_at, created_at, updated_at)
SELECT gen_random_uuid(), 'medication_reminder', d.id, d.patient_id, 'SMS', d.scheduled_at,
       'SENT', 1, d.scheduled_at, d.scheduled_at, d.scheduled_at
FROM doses d WHERE d.scheduled_at >= '2026-09-01';
INSERT INTO reminders (id, kind, dose_id, patient_id, channel, recipient, due_at, status,
                       attempts, next_attempt_at, created_at, updated_at)
SELECT gen_random_uuid(), 'caregiver_alert', d.id, d.patient_id, 'EMAIL',
       '00000000-0000-0000-0000-0000000000c1', d.scheduled_at, 'QUEUED', 0, d.scheduled_at,
       now(), now()
FROM doses d WHERE d.status = 'MISSED' AND d.scheduled_at >= '2026-11-20';
INSERT INTO reminders (id, kind, fill_id, patient_id, channel, due_at, status, attempts,
                       next_attempt_at, created_at, updated_at)
SELECT gen_random_uuid(), 'refill_reminder', f.id, rx.patient_id, 'SMS', now(), 'QUEUED', 0,
       now(), now(), now()
FROM fills f JOIN prescriptions rx ON rx.id = f.prescription_id
"""

SNAPSHOT = {
    "doses": "SELECT id, prescription_id, patient_id, scheduled_at, status, taken_at, "
    "recorded_at, recorded_by, snoozed_until, created_at FROM doses ORDER BY id",
    "dose_records": "SELECT id, dose_id, status, taken_at, recorded_at FROM dose_records "
    "ORDER BY id",
    "reminders": "SELECT id, kind, dose_id, fill_id, patient_id, channel, recipient, due_at, "
    "status FROM reminders ORDER BY id",
    "dose_days": "SELECT * FROM dose_days ORDER BY prescription_id, day",
}


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def empty_settings(settings: Settings, empty_database: str) -> Settings:
    return settings.model_copy(update={"database_url": empty_database})


async def _migrate(settings: Settings, revision: str, *, down: bool = False) -> None:
    engine = create_engine(settings)
    try:
        if not down:
            await upgrade(engine, revision)
            return

        def run(connection: Connection) -> None:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, revision)

        async with engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()


async def _snapshot(conn: asyncpg.Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {name: [tuple(r) for r in await conn.fetch(sql)] for name, sql in SNAPSHOT.items()}


def test_an_existing_history_moves_into_monthly_partitions_and_back(
    empty_settings: Settings,
) -> None:
    async def run() -> None:
        await _migrate(empty_settings, BEFORE)
        conn = await asyncpg.connect(_dsn(empty_settings.require_database_url()))
        try:
            for statement in HISTORY.split(";\n"):
                await conn.execute(statement)
            before = await _snapshot(conn)
        finally:
            await conn.close()
        assert len(before["doses"]) == PATIENTS * 891
        assert before["dose_records"] and before["reminders"] and before["dose_days"]

        await _migrate(empty_settings, "0019")
        conn = await asyncpg.connect(_dsn(empty_settings.require_database_url()))
        try:
            after = await _snapshot(conn)
            # Every row and every reference survives, and is a key of doses.
            assert after == before
            parts = await conn.fetch(
                "SELECT c.relname, count(d.*) AS n FROM pg_inherits i "
                "JOIN pg_class c ON c.oid = i.inhrelid "
                "LEFT JOIN doses d ON d.tableoid = c.oid "
                "WHERE i.inhparent = 'doses'::regclass GROUP BY c.relname ORDER BY 1"
            )
            counts = {r["relname"]: r["n"] for r in parts}
            # October 2025 to December 2026 hold the history; none waits in
            # the default partition.
            assert counts["doses_y2025m10"] == PATIENTS * 62
            assert counts["doses_y2026m12"] == PATIENTS * 39
            assert counts["doses_default"] == 0
            assert sum(counts.values()) == len(before["doses"])
            orphans = await conn.fetchval(
                "SELECT count(*) FROM reminders r WHERE r.dose_id IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM doses d WHERE d.id = r.dose_id "
                " AND d.scheduled_at = r.dose_scheduled_at)"
            )
            assert orphans == 0
            assert await conn.fetchval(
                "SELECT count(*) FROM dose_records r JOIN doses d "
                "ON d.id = r.dose_id AND d.scheduled_at = r.dose_scheduled_at"
            ) == len(before["dose_records"])
            # The database enforces the reference: a wrong instant is refused.
            with pytest.raises(asyncpg.ForeignKeyViolationError):
                await conn.execute(
                    "INSERT INTO dose_records (id, dose_id, dose_scheduled_at, status, "
                    "recorded_at) SELECT gen_random_uuid(), id, scheduled_at + interval '1 s', "
                    "'TAKEN', now() FROM doses LIMIT 1"
                )
            # Deleting a dose still takes its reminders and records with it.
            victim = await conn.fetchrow(
                "SELECT dose_id, dose_scheduled_at FROM dose_records LIMIT 1"
            )
            await conn.execute(
                "DELETE FROM doses WHERE id = $1 AND scheduled_at = $2",
                victim["dose_id"],
                victim["dose_scheduled_at"],
            )
            assert not await conn.fetchval(
                "SELECT count(*) FROM reminders WHERE dose_id = $1", victim["dose_id"]
            )
            # The rollup's triggers count changes on the partitioned table.
            taken_before = await conn.fetchval("SELECT sum(taken) FROM dose_days")
            await conn.execute(
                "UPDATE doses SET status = 'TAKEN', taken_at = scheduled_at "
                "WHERE status = 'SCHEDULED' AND scheduled_at < '2026-12-03'"
            )
            taken_after = await conn.fetchval("SELECT sum(taken) FROM dose_days")
            assert taken_after == taken_before + PATIENTS * 4
            await conn.execute(
                "UPDATE doses SET status = 'SCHEDULED', taken_at = NULL "
                "WHERE status = 'TAKEN' AND scheduled_at >= '2026-12-01'"
            )
            changed = await _snapshot(conn)
        finally:
            await conn.close()

        await _migrate(empty_settings, BEFORE, down=True)
        conn = await asyncpg.connect(_dsn(empty_settings.require_database_url()))
        try:
            assert await _snapshot(conn) == changed
            assert not await conn.fetchval(
                "SELECT count(*) FROM pg_inherits WHERE inhparent = 'doses'::regclass"
            )
        finally:
            await conn.close()

    asyncio.run(run())
