"""Adherence read cost at two dose-history lengths: the rollup stays flat.

    python bench/adherence_reads.py [--repeat 30]

Two clinics in one database, each a clinician with 50 patients of 5 twice-daily
prescriptions: one with 90 days of dose history, one with 2 years (about
45,000 and 365,000 doses). For each it prints the cost of `adherence(days: 30)`
for all 50 patients, read as one batch:
- through the dose-day rollup (what the loaders use) and through its twin
  over every dose (`adherence/dose_log.py`, the peer), as p50 ms and the
  shared buffers the statement touched (EXPLAIN ANALYZE, BUFFERS);
- end to end: `PatientList(first: 50)` with `adherence(days: 30)` through the
  ASGI app in-process (p50 ms, SQL statements per request).
The ratios 2 years / 90 days are the figure: about 1.0 means the read does
not grow with history.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from _clinic import add_patients
from _db import bench_database
from asgi_lifespan import LifespanManager
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.adherence.counts import WindowKey
from prescripcare.adherence.dose_log import day_counts_from_doses
from prescripcare.adherence.rollup import day_counts_from_rollup
from prescripcare.app import create_app, resources_of
from prescripcare.auth.models import Role
from prescripcare.auth.viewer import Viewer
from prescripcare.clock import SettableClock
from prescripcare.db import reading, transaction
from prescripcare.drugs.seed import load_seed
from prescripcare.resources import Resources

NOW = datetime(2026, 4, 1, 12, tzinfo=UTC)
HISTORIES = {"90 days": 90, "2 years": 730}
ON_TIME = timedelta(minutes=60)
QUERY = """
query PatientList($first: Int) {
  patients(first: $first) {
    edges { node { id name adherence(days: 30) { scheduled taken doseAdherence onTimeRate } } }
  }
}"""


async def _clinic(res: Resources, label: str, days: int) -> tuple[Viewer, str, list[Any]]:
    start = (NOW - timedelta(days=days)).date()
    async with transaction(res.sessions) as session:
        doctor = await res.auth.create_user(
            session,
            None,
            f"bench-{days}@clinic.example.org",
            "a long bench passphrase",
            Role.CLINICIAN,
            None,
            NOW,
        )
        tokens = await res.auth.sign_in(session, doctor, NOW)
        patients = await add_patients(
            session, doctor.id, count=50, label=f"{label} patient", start=start, now=NOW
        )
    # Twice-daily doses from the start to the horizon, mostly taken (ten
    # minutes late), some missed or skipped; inserted a month per statement,
    # as materialising runs would, each counted by the rollup's trigger.
    period = datetime.combine(start, clock_time(8), UTC)
    horizon = NOW + timedelta(days=14)
    while period < horizon:
        async with transaction(res.sessions) as session:
            await session.execute(
                text("""
                INSERT INTO doses (id, prescription_id, patient_id, scheduled_at, status,
                                   taken_at, recorded_at, created_at)
                SELECT gen_random_uuid(), p.id, p.patient_id, t, s.status,
                       CASE WHEN s.status = 'TAKEN' THEN t + interval '10 minutes' END,
                       CASE WHEN s.status <> 'SCHEDULED' THEN t END, :now
                FROM prescriptions p
                JOIN care_team_members m ON m.patient_id = p.patient_id AND m.user_id = :doctor,
                     generate_series(CAST(:start AS timestamptz),
                                     least(CAST(:start AS timestamptz) + interval '30 days',
                                           CAST(:end AS timestamptz)) - interval '1 second',
                                     interval '12 hours') t,
                     LATERAL (SELECT CASE WHEN t > CAST(:now AS timestamptz) THEN 'SCHEDULED'
                                          WHEN random() < 0.8 THEN 'TAKEN'
                                          WHEN random() < 0.5 THEN 'MISSED'
                                          ELSE 'SKIPPED' END AS status
                              OFFSET 0) s
            """),
                {"now": NOW, "start": period, "end": horizon, "doctor": doctor.id},
            )
        period += timedelta(days=30)
    viewer = Viewer(user_id=doctor.id, role=Role.CLINICIAN, email=doctor.email)
    return viewer, tokens.access_token, patients


Reader = Callable[..., Awaitable[Any]]


async def _p50(repeat: int, run: Callable[[], Awaitable[object]]) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        await run()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


async def _buffers(session: AsyncSession, reader: Reader, viewer: Viewer, keys: Any) -> int:
    """Shared buffers (hit + read) of the reader's statement, from EXPLAIN."""
    captured: list[Any] = []
    real_execute = session.execute

    async def explain(statement: Any, *args: Any, **kwargs: Any) -> Any:
        captured.append(statement)
        return await real_execute(statement, *args, **kwargs)

    session.execute = explain  # type: ignore[method-assign]
    try:
        await reader(session, viewer, "patient_id", keys, NOW, ON_TIME)
    finally:
        session.execute = real_execute  # type: ignore[method-assign]
    compiled = captured[0].compile(
        dialect=session.bind.dialect, compile_kwargs={"literal_binds": True}
    )
    plan = await session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {compiled}"))
    top = plan.scalar_one()[0]["Plan"]
    return int(top.get("Shared Hit Blocks", 0)) + int(top.get("Shared Read Blocks", 0))


async def _run(settings: object, repeat: int) -> None:
    app = create_app(settings, clock=SettableClock(NOW))  # type: ignore[arg-type]
    async with LifespanManager(app):
        res = resources_of(app)
        async with transaction(res.sessions) as session:
            await load_seed(session, NOW)
        clinics = {label: await _clinic(res, label, days) for label, days in HISTORIES.items()}
        async with res.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
            doses = await conn.scalar(text("SELECT count(*) FROM doses"))
        statements = 0

        def count(*_: object) -> None:
            nonlocal statements
            statements += 1

        event.listen(res.engine.sync_engine, "before_cursor_execute", count)
        results: dict[str, dict[str, float]] = {}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for label, (viewer, token, patients) in clinics.items():
                first = NOW.date() - timedelta(days=29)
                keys: list[WindowKey] = [(p, first, NOW.date()) for p in patients]
                row: dict[str, float] = {}
                for name, reader in (
                    ("rollup", day_counts_from_rollup),
                    ("every dose", day_counts_from_doses),
                ):
                    async with reading(res.sessions) as session:
                        row[f"{name} ms"] = await _p50(
                            repeat,
                            lambda s=session, r=reader, v=viewer, k=keys: r(
                                s, v, "patient_id", k, NOW, ON_TIME
                            ),
                        )
                        row[f"{name} buffers"] = await _buffers(session, reader, viewer, keys)

                async def request(t: str = token) -> None:
                    response = await client.post(
                        "/graphql",
                        json={"query": QUERY, "variables": {"first": 50}},
                        headers={"Authorization": f"Bearer {t}"},
                    )
                    body = response.json()
                    assert not body.get("errors"), body
                    assert len(body["data"]["patients"]["edges"]) == 50

                await request()
                statements = 0
                await request()
                row["statements"] = statements
                row["request ms"] = await _p50(repeat, request)
                results[label] = row
    print(
        "adherence(days: 30) for 50 patients x 5 twice-daily prescriptions; "
        f"doses in the database: {doses:,}; p50 over {repeat} runs"
    )
    columns = [
        "rollup ms",
        "rollup buffers",
        "every dose ms",
        "every dose buffers",
        "request ms",
        "statements",
    ]
    print(f"{'history':<10}" + "".join(f"{c:>20}" for c in columns))
    for label, row in results.items():
        print(f"{label:<10}" + "".join(f"{row[c]:>20.1f}" for c in columns))
    long, short = results["2 years"], results["90 days"]
    print(f"{'2y / 90d':<10}" + "".join(f"{long[c] / short[c]:>19.2f}x" for c in columns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with bench_database() as settings:
        asyncio.run(_run(settings, args.repeat))


if __name__ == "__main__":
    main()
