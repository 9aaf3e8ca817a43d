"""PatientList(first: 50) with adherence over 90 days: 50 patients with 5
active prescriptions each, twice-daily doses for 90 days, monthly fills.

    python bench/patient_list.py [--repeat 30]

Runs the contract's PatientList document (adherence window 90 days) through
the ASGI app in-process and prints p50/p99 latency and SQL statements per
request.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from _clinic import add_patients
from _db import bench_database
from asgi_lifespan import LifespanManager
from sqlalchemy import event, text

from prescripcare.app import create_app, resources_of
from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.drugs.seed import load_seed

NOW = datetime(2026, 4, 1, 12, tzinfo=UTC)
QUERY = """
query PatientList($first: Int) {
  patients(first: $first) {
    totalCount
    edges { cursor node {
      id name dateOfBirth
      adherence(days: 90) { doseAdherence pdc }
      prescriptions(status: ACTIVE) { id drug { rxcui name } }
      nextDose { id scheduledAt }
    } }
  }
}"""


async def _populate(app: object) -> str:
    res = resources_of(app)  # type: ignore[arg-type]
    start = (NOW - timedelta(days=90)).date()
    async with transaction(res.sessions) as session:
        await load_seed(session, NOW)
        doctor = await res.auth.create_user(
            session,
            None,
            "bench@clinic.example.org",
            "a long bench passphrase",
            Role.CLINICIAN,
            None,
            NOW,
        )
        tokens = await res.auth.sign_in(session, doctor, NOW)
        await add_patients(
            session, doctor.id, count=50, label="Bench Patient", start=start, now=NOW
        )
        # 90 days of twice-daily doses, mostly taken, some missed or skipped,
        # and a 30-day fill each month.
        await session.execute(
            text("""
            INSERT INTO doses (id, prescription_id, patient_id, scheduled_at, status, taken_at,
                               recorded_at, created_at)
            SELECT gen_random_uuid(), p.id, p.patient_id, t,
                   CASE WHEN t > CAST(:now AS timestamptz) THEN 'SCHEDULED'
                        WHEN random() < 0.8 THEN 'TAKEN'
                        WHEN random() < 0.5 THEN 'MISSED' ELSE 'SKIPPED' END,
                   NULL, NULL, :now
            FROM prescriptions p,
                 generate_series(CAST(:start AS timestamptz),
                                 CAST(:now AS timestamptz) + interval '14 days',
                                 interval '12 hours') t
        """),
            {"now": NOW, "start": datetime.combine(start, clock_time(8), UTC)},
        )
        await session.execute(
            text("""
            UPDATE doses SET taken_at = scheduled_at + interval '10 minutes', recorded_at = :now
            WHERE status = 'TAKEN'
        """),
            {"now": NOW},
        )
        await session.execute(
            text("""
            INSERT INTO fills (id, prescription_id, filled_on, days_supply, created_at)
            SELECT gen_random_uuid(), p.id, d::date, 30, :now
            FROM prescriptions p,
                 generate_series(CAST(:start AS date), CAST(:end AS date), interval '30 days') d
        """),
            {"now": NOW, "start": start, "end": NOW.date()},
        )
        await session.execute(text("ANALYZE"))
    return tokens.access_token


async def _run(settings: object, repeat: int) -> None:
    clock = SettableClock(NOW)
    app = create_app(settings, clock=clock)  # type: ignore[arg-type]
    async with LifespanManager(app):
        token = await _populate(app)
        res = resources_of(app)
        statements = 0

        def count(*_: object) -> None:
            nonlocal statements
            statements += 1

        event.listen(res.engine.sync_engine, "before_cursor_execute", count)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            timings = []
            per_request = []
            for _ in range(repeat):
                statements = 0
                started = time.perf_counter()
                response = await client.post(
                    "/graphql",
                    json={"query": QUERY, "variables": {"first": 50}},
                    headers={"Authorization": f"Bearer {token}"},
                )
                timings.append((time.perf_counter() - started) * 1000)
                per_request.append(statements)
                body = response.json()
                assert not body.get("errors"), body
                assert len(body["data"]["patients"]["edges"]) == 50
        timings.sort()
        p99 = timings[min(len(timings) - 1, round(0.99 * (len(timings) - 1)))]
        print("PatientList(first: 50), adherence over 90 days, 50 patients x 5 prescriptions")
        print(
            f"p50 {statistics.median(timings):.1f} ms, p99 {p99:.1f} ms over {repeat} runs; "
            f"{per_request[-1]} SQL statements per request"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with bench_database() as settings:
        asyncio.run(_run(settings, args.repeat))


if __name__ == "__main__":
    main()
