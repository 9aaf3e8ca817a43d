"""Flat costs as the dose history grows: about 1M, then about 10M dose rows.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        python bench/partitions.py [--patients 30000] [--repeat 7]

One throwaway database (on DATABASE_URL's server, else an embedded
PostgreSQL), migrated, with PATIENTS patients of one once-daily prescription
(08:00 local, five time zones), the 14-day horizon ahead and a short history
behind: about 1M doses at 30,000 patients. Measured, then the history is
extended back to a year (about 10M doses) and measured again. Same patients,
same morning: only the history differs, so the ratio 10M / 1M is the figure
(target: within 1.2x).

SQL time per call (the sum of the statements' times seen by the driver), as
the median of `--repeat` runs, for:
- the due scan (`reminders.service.queue_due`) at 08:00:30 UTC, when the
  London patients' doses fall due (rolled back after each run);
- missed-dose marking (`doses.missed.mark_missed`, as the worker runs it
  every minute: bounded by its previous run) (rolled back);
- `PatientDashboard` (one patient, a 7-day window) and
  `PatientList(first: 50)` (a clinician with 50 patients), the contract's own
  documents through the ASGI app in-process.
It also prints the partitions each plan reads (EXPLAIN).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from _db import bench_database
from asgi_lifespan import LifespanManager
from sqlalchemy import event, text

from prescripcare.app import create_app, resources_of
from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.doses.missed import mark_missed
from prescripcare.doses.window import open_since
from prescripcare.drugs.seed import load_seed
from prescripcare.graphql.trusted import contract_operation
from prescripcare.reminders.service import queue_due
from prescripcare.resources import Resources
from prescripcare.settings import Settings

# A Monday morning in November: London is on UTC, its 08:00 doses fall due.
NOW = datetime(2026, 11, 16, 8, 0, 30, tzinfo=UTC)
HORIZON_DAYS = 14
SHORT_HISTORY_DAYS = 19  # with the horizon: 33 doses a patient, ~1M at 30,000
LONG_HISTORY_DAYS = 319  # a year of doses a patient, ~10M at 30,000
ZONES = ["Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Tokyo"]
GRACE = timedelta(minutes=60)
DASHBOARD = contract_operation("PatientDashboard")
PATIENT_LIST = contract_operation("PatientList")

_PATIENTS = """
INSERT INTO patients (id, name, timezone, reminder_channels, created_by, created_at,
                      updated_at)
SELECT gen_random_uuid(), 'Patient ' || lpad(i::text, 6, '0'),
       (CAST(:zones AS text[]))[1 + i % cardinality(CAST(:zones AS text[]))],
       CAST(ARRAY['SMS'] AS varchar[]), :clinician, :now, :now
FROM generate_series(0, :patients - 1) AS i
"""

# The clinician's list: the first fifty patients by name.
_CARE_TEAM = """
INSERT INTO care_team_members (patient_id, user_id, added_by, created_at)
SELECT id, :clinician, :clinician, :now FROM patients ORDER BY name LIMIT 50
"""

_PRESCRIPTIONS = """
INSERT INTO prescriptions (id, patient_id, rxcui, prescriber_id, created_by, dose_quantity,
                           dose_unit, start_date, times_of_day, days_of_week, as_needed,
                           status, created_at, updated_at)
SELECT gen_random_uuid(), p.id, '29046', :clinician, :clinician, 1, 'tablet', :start,
       CAST(ARRAY['08:00'] AS time[]), CAST(ARRAY[] AS smallint[]), false, 'ACTIVE',
       :now, :now
FROM patients p
"""

# 08:00 local each day of [low, high); settled three hours after (80 % taken,
# some late), the rest SCHEDULED: this morning's doses are due or missable.
_DOSES = """
INSERT INTO doses (id, prescription_id, patient_id, scheduled_at, status, taken_at,
                   recorded_at, created_at)
SELECT gen_random_uuid(), s.rx, s.patient_id, s.at,
       CASE WHEN s.at > CAST(:now AS timestamptz) - interval '3 hours' THEN 'SCHEDULED'
            WHEN s.r < 0.8 THEN 'TAKEN' WHEN s.r < 0.9 THEN 'MISSED' ELSE 'SKIPPED' END,
       CASE WHEN s.at <= CAST(:now AS timestamptz) - interval '3 hours' AND s.r < 0.8
            THEN s.at + make_interval(mins => CAST(s.r * 60 AS int)) END,
       CASE WHEN s.at <= CAST(:now AS timestamptz) - interval '3 hours'
            THEN s.at + interval '2 hours' END,
       :now
FROM (SELECT rx.id AS rx, rx.patient_id, random() AS r,
             (CAST(d AS date) + time '08:00') AT TIME ZONE pt.timezone AS at
      FROM prescriptions rx JOIN patients pt ON pt.id = rx.patient_id,
           generate_series(CAST(:low AS date), CAST(:high AS date) - 1, interval '1 day') AS d
     ) AS s
"""


async def _execute(res: Resources, sql: str, **params: Any) -> None:
    """A seeding statement: a month of doses outlasts the app's timeout."""
    async with transaction(res.sessions) as session:
        await session.execute(text("SET LOCAL statement_timeout = 0"))
        await session.execute(text(sql), params)


async def _doses(res: Resources, low: date, high: date) -> None:
    """Doses of [low, high), a month a statement; the rollup is rebuilt once
    afterwards rather than by its trigger on every statement."""
    await _execute(
        res,
        "SELECT dose_partitions_ensure(CAST(:low AS timestamptz), CAST(:high AS timestamptz))",
        low=datetime.combine(low, datetime.min.time(), UTC) - timedelta(days=1),
        high=datetime.combine(high, datetime.min.time(), UTC) + timedelta(days=1),
    )
    await _execute(res, "ALTER TABLE doses DISABLE TRIGGER dose_days_insert")
    day = low
    while day < high:
        end = min(high, date(day.year + day.month // 12, day.month % 12 + 1, 1))
        started = time.perf_counter()
        await _execute(res, _DOSES, low=day, high=end, now=NOW)
        print(f"  doses {day} .. {end}: {time.perf_counter() - started:.0f} s", flush=True)
        day = end
    await _execute(res, "ALTER TABLE doses ENABLE TRIGGER dose_days_insert")
    await _execute(res, "SELECT dose_days_rebuild(ARRAY(SELECT id FROM patients))")
    async with res.engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("SET statement_timeout = 0"))
        await autocommit.execute(text("VACUUM ANALYZE"))
        await autocommit.execute(text("RESET statement_timeout"))


class SqlTimer:
    """Sums the time of the statements run while it is active."""

    def __init__(self, res: Resources) -> None:
        self.total = 0.0
        self.statements: list[tuple[str, Any]] = []
        engine = res.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()
        self.statements.append((statement, parameters))

    def _after(self, conn: Any, *_: Any) -> None:
        self.total += time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())

    async def per_call(self, call: Callable[[], Awaitable[None]], repeat: int) -> float:
        await call()  # warm
        times = []
        for _ in range(repeat):
            self.total = 0.0
            self.statements.clear()
            await call()
            times.append(self.total * 1000)
        return statistics.median(times)


async def _partitions(res: Resources, statements: list[tuple[str, Any]]) -> list[str]:
    names: set[str] = set()
    async with res.engine.connect() as conn:
        for statement, parameters in statements:
            if " doses" not in statement:
                continue
            result = await conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
            plan = result.scalar_one()
            found = json.dumps(plan if not isinstance(plan, str) else json.loads(plan))
            names |= {
                part.split('"')[0]
                for part in found.split('"Relation Name": "')[1:]
                if part.startswith("doses_")
            }
        await conn.rollback()
    return sorted(names)


async def _measure(
    res: Resources, timer: SqlTimer, client: httpx.AsyncClient, token: str, pid: str, repeat: int
) -> dict[str, tuple[float, list[str]]]:

    async def due_scan() -> None:
        async with res.sessions() as session:
            await queue_due(session, NOW, GRACE, ["SMS"])
            await session.rollback()

    async def missed() -> None:
        async with res.sessions() as session:
            await mark_missed(session, NOW, GRACE, since=open_since(NOW - timedelta(minutes=1)))
            await session.rollback()

    async def request(document: str, variables: dict[str, Any]) -> None:
        response = await client.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.json()
        assert not body.get("errors"), body

    window = {
        "id": pid,
        "from": (NOW - timedelta(days=7)).isoformat(),
        "to": NOW.isoformat(),
    }
    calls: dict[str, Callable[[], Awaitable[None]]] = {
        "due scan": due_scan,
        "missed-dose marking": missed,
        "PatientDashboard": lambda: request(DASHBOARD, window),
        "PatientList(first: 50)": lambda: request(PATIENT_LIST, {"first": 50}),
    }
    out = {}
    for name, call in calls.items():
        ms = await timer.per_call(call, repeat)
        out[name] = (ms, await _partitions(res, list(timer.statements)))
    return out


async def _run(settings: Settings, patients: int, repeat: int) -> None:
    clock = SettableClock(NOW)
    app = create_app(settings, clock=clock)
    async with LifespanManager(app):
        res = resources_of(app)
        today = NOW.date()
        async with transaction(res.sessions) as session:
            await load_seed(session, NOW)
            doctor = await res.auth.create_user(
                session, None, "bench@clinic.example.org", "a long bench passphrase",
                Role.CLINICIAN, None, NOW,
            )  # fmt: skip
            token = (await res.auth.sign_in(session, doctor, NOW)).access_token
        start = today - timedelta(days=LONG_HISTORY_DAYS)
        common = {"clinician": doctor.id, "now": NOW}
        await _execute(res, _PATIENTS, zones=ZONES, patients=patients, **common)
        await _execute(res, _CARE_TEAM, **common)
        await _execute(res, _PRESCRIPTIONS, start=start, **common)
        async with res.sessions() as session:
            pid = str(
                await session.scalar(
                    text(
                        "SELECT patient_id FROM care_team_members m JOIN patients p "
                        "ON p.id = m.patient_id WHERE p.timezone = 'Europe/London' LIMIT 1"
                    )
                )
            )
        short = today - timedelta(days=SHORT_HISTORY_DAYS)
        await _doses(res, short, today + timedelta(days=HORIZON_DAYS))
        results = []
        timer = SqlTimer(res)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for label, low in (("short", None), ("long", start)):
                if low is not None:
                    await _doses(res, low, short)
                async with res.sessions() as session:
                    rows = int(await session.scalar(text("SELECT count(*) FROM doses")) or 0)
                print(f"{label} history: {rows:,} dose rows", flush=True)
                measured = await _measure(res, timer, client, token, pid, repeat)
                for name, (ms, _) in measured.items():
                    print(f"  {name}: {ms:.1f} ms", flush=True)
                results.append((rows, measured))
    (small_rows, small), (large_rows, large) = results
    print()
    print(f"SQL ms per call (median of {repeat}), {patients:,} patients")
    header = f"{'':24} {small_rows:>12,} {large_rows:>12,}  ratio"
    print(header)
    for name in small:
        ratio = large[name][0] / small[name][0] if small[name][0] else float("nan")
        print(f"{name:24} {small[name][0]:12.1f} {large[name][0]:12.1f}  {ratio:.2f}x")
    print()
    for name in large:
        print(f"{name}: partitions planned at {large_rows:,} rows: {', '.join(large[name][1])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with bench_database() as settings:
        asyncio.run(_run(settings, args.patients, args.repeat))


if __name__ == "__main__":
    main()
