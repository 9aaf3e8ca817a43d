"""Bytes per stored unit, for the capacity model (docs/scaling.md).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
    REDIS_URL=redis://127.0.0.1:6379/0 python bench/storage.py [--rows 100000]

In a throwaway migrated database: ROWS doses (one a day for 1,000 patients,
in their monthly partitions), a dose record and a delivered SMS reminder for
each, and the dose-day rollup they make; after VACUUM ANALYZE it prints each
table's size with its indexes per row. In Redis: ROWS reminder-status events
in a stream key of its own (deleted afterwards), bytes per event.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _db import bench_database
from redis.asyncio import Redis
from sqlalchemy import text

from prescripcare.db import create_engine
from prescripcare.realtime.events import Event, EventKind
from prescripcare.settings import Settings

PATIENTS = 1000
SEED = [
    "INSERT INTO drug_concepts (rxcui, tty, name, source, source_version, licence, imported_at)"
    " VALUES ('29046', 'IN', 'lisinopril', 'bench', '1', 'bench', now())",
    "INSERT INTO patients (id, name, timezone, reminder_channels, created_at, updated_at)"
    " SELECT gen_random_uuid(), 'Patient ' || i, 'Europe/London', ARRAY['SMS'], now(), now()"
    " FROM generate_series(1, CAST(:patients AS integer)) i",
    "INSERT INTO prescriptions (id, patient_id, rxcui, dose_quantity, dose_unit, start_date,"
    " times_of_day, days_of_week, as_needed, status, created_at, updated_at)"
    " SELECT gen_random_uuid(), id, '29046', 1, 'tablet', '2026-01-01', '{08:00}', '{}', false,"
    " 'ACTIVE', now(), now() FROM patients",
    "SELECT dose_partitions_ensure('2026-01-01', '2027-01-01')",
    "INSERT INTO doses (id, prescription_id, patient_id, scheduled_at, status, taken_at,"
    " recorded_at, created_at)"
    " SELECT gen_random_uuid(), rx.id, rx.patient_id, d + time '08:00', 'TAKEN',"
    " d + time '08:10', d + time '08:10', now() FROM prescriptions rx,"
    " generate_series(date '2026-01-01', date '2026-01-01' + CAST(:days AS integer) - 1,"
    " interval '1 day') d",
    "INSERT INTO dose_records (id, dose_id, dose_scheduled_at, status, taken_at, recorded_at)"
    " SELECT gen_random_uuid(), id, scheduled_at, status, taken_at, recorded_at FROM doses",
    "INSERT INTO reminders (id, kind, dose_id, dose_scheduled_at, patient_id, channel, due_at,"
    " status, attempts, next_attempt_at, provider_message_id, sent_at, created_at, updated_at)"
    " SELECT gen_random_uuid(), 'medication_reminder', id, scheduled_at, patient_id, 'SMS',"
    " scheduled_at, 'DELIVERED', 1, scheduled_at, 'SM' || md5(id::text), scheduled_at,"
    " scheduled_at, scheduled_at FROM doses",
]
SIZE = """
SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
WHERE c.oid = CAST(:t AS regclass)
   OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = CAST(:t AS regclass))
"""


async def _tables(settings: Settings, rows: int) -> None:
    engine = create_engine(settings)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("SET LOCAL statement_timeout = 0"))
            for statement in SEED:
                await conn.execute(
                    text(statement), {"days": rows // PATIENTS, "patients": PATIENTS}
                )
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE"))
            for table in ("doses", "dose_records", "reminders", "dose_days"):
                count_rows = text(f"SELECT count(*) FROM {table}")  # noqa: S608 - our names
                count = int((await autocommit.scalar(count_rows)) or 0)
                size = int((await autocommit.scalar(text(SIZE), {"t": table})) or 0)
                print(f"{table:14} {count:>9,} rows {size / count:7.0f} B/row with indexes")
    finally:
        await engine.dispose()


async def _stream(url: str, events: int) -> None:
    redis = Redis.from_url(url)
    key = f"bench-storage-{uuid.uuid4().hex[:8]}"
    try:
        for start in range(0, events, 5000):
            async with redis.pipeline(transaction=False) as pipe:
                for _ in range(min(5000, events - start)):
                    event = Event(
                        patient_id=uuid.uuid4(),
                        kind=EventKind.REMINDER_SENT,
                        at=datetime.now(UTC),
                        channel="SMS",
                        dose_id=uuid.uuid4(),
                    )
                    pipe.xadd(key, event.fields())
                await pipe.execute()
        used = int(await redis.memory_usage(key, samples=0) or 0)
        print(f"{'stream event':14} {events:>9,} events {used / events:5.0f} B/event")
    finally:
        await redis.delete(key)
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with bench_database() as settings:
        asyncio.run(_tables(settings, args.rows))
        asyncio.run(_stream(settings.require_redis_url(), args.rows))


if __name__ == "__main__":
    main()
