"""Where a request's time goes: pyinstrument over the contract's PatientList
or PatientDashboard, served in-process against the load benchmark's clinic.

    python bench/load.py --targets floor   # once, to seed the clinic
    python bench/profile_request.py PatientList [--repeat 20] [--html out.html]

Starts the load benchmark's pinned PostgreSQL (seeded by bench/load.py),
sends the document `--repeat` times through the ASGI app and prints
pyinstrument's call tree of the whole run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from asgi_lifespan import LifespanManager
from load import DATABASE, DATABASE_CPU, _first_patient, _settings, _token, _url
from loadbench import queries
from loadbench.postgres import PinnedPostgres
from pyinstrument import Profiler

from prescripcare.app import create_app


async def _run(args: argparse.Namespace) -> Profiler:
    database_url = _url(f"postgresql://postgres@127.0.0.1:{args.pg_port}/postgres", DATABASE)
    settings = _settings(database_url)
    token = await _token(settings)
    if args.query == "PatientList":
        variables: dict[str, object] = {"first": 50}
    else:
        start, end = queries.dashboard_window(datetime.now(UTC))
        variables = {"id": await _first_patient(database_url), "from": start, "to": end}
    payload = {"query": queries.ours(args.query), "variables": variables}
    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            body = (await client.post("/graphql", json=payload, headers=headers)).json()
            assert not body.get("errors"), body
            profiler = Profiler(async_mode="enabled", interval=0.0005)
            started = time.perf_counter()
            with profiler:
                for _ in range(args.repeat):
                    await client.post("/graphql", json=payload, headers=headers)
            elapsed = time.perf_counter() - started
    print(f"{args.query}: {elapsed / args.repeat * 1000:.1f} ms per request in-process")
    return profiler


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("query", choices=["PatientList", "PatientDashboard"])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--html", help="also write pyinstrument's HTML report here")
    parser.add_argument("--pgdata", default="/var/tmp/prescripcare-loadbench/pgdata")
    parser.add_argument("--pg-port", type=int, default=55432)
    args = parser.parse_args()
    pg = PinnedPostgres(Path(args.pgdata), args.pg_port, [DATABASE_CPU])
    pg.start()
    try:
        profiler = asyncio.run(_run(args))
    finally:
        pg.stop()
    if args.html:
        Path(args.html).write_text(profiler.output_html())
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
