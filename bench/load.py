"""Load benchmark: our server, PostGraphile v5 and the raw SQL floor, on one
seeded clinic, under wrk at a fixed concurrency for a fixed time.

    python bench/load.py [--seconds 10] [--connections 16] [--patients 2000]

Starts a PostgreSQL of its own pinned to one CPU (seeded once, kept in
--pgdata), then in turn: `prescripcare serve` pinned to the other CPU (with execution
plans, then with GRAPHQL_PLANS=false for the before/after), then
PostGraphile (Node 22 and PostGraphile installed by npm on first run into
bench/postgraphile), then the floor (the SQL our server issued for one
request, replayed through asyncpg, from this process pinned where the server
was). wrk shares the database's CPU. Prints requests per second, p50/p99
latency, SQL statements per request (pg_stat_statements, transaction control
apart), the ratios, whether the issue-13 targets hold, and writes a PNG chart
(--chart) of requests per second and CPU ms per request.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg
import httpx
import psutil
from loadbench import floor, queries
from loadbench.chart import write_chart
from loadbench.postgres import PinnedPostgres
from loadbench.report import Row, print_table, print_verdict
from loadbench.seed import CLINICIAN_EMAIL, seed_clinic
from loadbench.wrk import require_wrk, run_wrk
from sqlalchemy import select

from prescripcare.auth.models import User
from prescripcare.db import create_engine
from prescripcare.migrate import upgrade
from prescripcare.resources import open_resources
from prescripcare.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
POSTGRAPHILE = ROOT / "bench" / "postgraphile"
DATABASE = "prescripcare_load"
JWT_SECRET = "load-benchmark-jwt-secret-not-for-any-deployment"
SERVER_CPU, DATABASE_CPU = 0, 1


def _url(base: str, database: str) -> str:
    return base.rsplit("/", 1)[0] + "/" + database


FUNCTIONS = POSTGRAPHILE / "functions.sql"


async def _upgrade_reused(url: str) -> None:
    """Migrates a reused clinic to head. PostGraphile's computed columns
    return table row types, which pin the tables a migration may rename
    (0019 partitions `doses`): they are dropped first and installed again
    after."""
    names = sorted(set(re.findall(r"CREATE OR REPLACE FUNCTION (\w+)\(", FUNCTIONS.read_text())))
    conn = await asyncpg.connect(url)
    try:
        for name in names:
            await conn.execute(f"DROP FUNCTION IF EXISTS {name}")
    finally:
        await conn.close()
    # A batch job (it back-fills): no API statement timeout, as seeding.
    settings = _settings(url).model_copy(update={"database_statement_timeout_ms": 0})
    engine = create_engine(settings)
    await upgrade(engine)
    await engine.dispose()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(FUNCTIONS.read_text())
    finally:
        await conn.close()


async def _prepare(server_url: str, patients: int, reseed: bool) -> None:
    """Creates, migrates and seeds the clinic unless a fresh one is there."""
    admin = await asyncpg.connect(server_url)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE)
        seeded = None
        if exists and not reseed:
            conn = await asyncpg.connect(_url(server_url, DATABASE))
            try:
                seeded = await conn.fetchrow(
                    "SELECT patients, seeded_at FROM bench.seed WHERE patients = $1", patients
                )
            except asyncpg.UndefinedTableError:
                seeded = None
            finally:
                await conn.close()
        # Doses are relative to the day of seeding: a day later "now" has moved.
        if seeded and datetime.now(UTC) - seeded["seeded_at"] < timedelta(hours=12):
            # A reused clinic still gets the code's migrations (they back-fill:
            # a batch job, so without the API's statement timeout, as seeding).
            await _upgrade_reused(_url(server_url, DATABASE))
            return
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    settings = _settings(_url(server_url, DATABASE))
    engine = create_engine(settings)
    await upgrade(engine)
    await engine.dispose()
    print(f"seeding {patients} patients ...", flush=True)
    started = time.perf_counter()
    now = datetime.now(UTC)
    # Seeding is a batch job: no API statement timeout (as `prescripcare seed`).
    batch = settings.model_copy(update={"database_statement_timeout_ms": 0})
    async with open_resources(batch) as resources:
        clinic = await seed_clinic(resources, patients, now)
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute(
            "CREATE SCHEMA bench; CREATE TABLE bench.seed (patients int, seeded_at timestamptz);"
            "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;"
        )
        await conn.execute("INSERT INTO bench.seed VALUES ($1, $2)", clinic.patients, now)
        await conn.execute((POSTGRAPHILE / "functions.sql").read_text())
    finally:
        await conn.close()
    print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)


def _settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        redis_prefix="prescripcare-loadbench",
        jwt_secret=JWT_SECRET,
        access_token_minutes=60,
    )


async def _token(settings: Settings) -> str:
    async with open_resources(settings) as resources, resources.sessions() as session:
        user = (
            await session.execute(select(User).where(User.email_blind_index == CLINICIAN_EMAIL))
        ).scalar_one()
        tokens = await resources.auth.sign_in(session, user, datetime.now(UTC))
        await session.commit()
        return tokens.access_token


async def _first_patient(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        return str(await conn.fetchval("SELECT id FROM patients ORDER BY name, id LIMIT 1"))
    finally:
        await conn.close()


class StatementStats:
    """Statements per request from pg_stat_statements, reset before each run."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    async def reset(self) -> None:
        conn = await asyncpg.connect(self.database_url)
        try:
            await conn.execute("SELECT pg_stat_statements_reset()")
        finally:
            await conn.close()

    async def read(self) -> tuple[int, int, float]:
        """Statements, transaction-control statements, and milliseconds spent
        executing them, since the reset."""
        conn = await asyncpg.connect(self.database_url)
        try:
            row = await conn.fetchrow(
                """
                SELECT coalesce(sum(calls) FILTER (WHERE NOT control), 0) AS sql,
                       coalesce(sum(calls) FILTER (WHERE control), 0) AS control,
                       coalesce(sum(total_exec_time), 0) AS ms
                FROM (SELECT calls, total_exec_time,
                             upper(ltrim(query)) ~ '^(BEGIN|COMMIT|ROLLBACK|SET|RESET)' AS control
                      FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
                      WHERE d.datname = current_database()
                        AND query NOT ILIKE '%pg_stat_statements%') q
                """
            )
            assert row is not None
            return int(row["sql"]), int(row["control"]), float(row["ms"])
        finally:
            await conn.close()


@contextmanager
def _process(
    args: list[str], env: dict[str, str], health: str, log: Path
) -> Iterator[psutil.Process]:
    with log.open("w") as out:
        proc = subprocess.Popen(args, env={**os.environ, **env}, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(health, timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{args[0]} did not start; see {log}")
            time.sleep(0.3)
        # taskset execs the server, so this pid is the server's own.
        yield psutil.Process(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _install_postgraphile() -> Path:
    node = POSTGRAPHILE / "node_modules" / ".bin" / "node"
    if not (POSTGRAPHILE / "node_modules" / "postgraphile").exists() or not node.exists():
        print("installing Node 22 and PostGraphile with npm ...", flush=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(POSTGRAPHILE)],
            check=True,
        )
    return node


def _check(body: dict[str, object], what: str) -> None:
    if body.get("errors") or not body.get("data"):
        raise SystemExit(f"{what} answered errors: {str(body)[:2000]}")


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def _measure(
    label: str,
    url: str,
    payloads: dict[str, dict[str, object]],
    headers: dict[str, str],
    stats: StatementStats,
    server: psutil.Process,
    args: argparse.Namespace,
    exact_sql: dict[str, int] | None = None,
) -> list[Row]:
    """One wrk run per query. Statements and database time per request come
    from pg_stat_statements; where the exact count per request is known (our
    server, captured in-process), the totals are scaled by it rather than by
    wrk's completed requests, which leaves out those still in flight."""
    rows = []
    for query, payload in payloads.items():
        async with httpx.AsyncClient(timeout=60) as client:
            _check((await client.post(url, json=payload, headers=headers)).json(), label)
        await stats.reset()
        cpu_before = _cpu_seconds(server)
        result = run_wrk(
            url,
            payload,
            headers,
            connections=args.connections,
            seconds=args.seconds,
            cpus=[DATABASE_CPU],
        )
        cpu = _cpu_seconds(server) - cpu_before
        sql, control, db_ms = await stats.read()
        done = max(result.requests, 1)
        served = sql / exact_sql[query] if exact_sql else done
        rows.append(
            Row(
                label,
                query,
                result,
                sql_per_request=sql / served,
                control_per_request=control / served,
                db_ms_per_request=db_ms / served,
                cpu_ms_per_request=cpu * 1000 / done,
            )
        )
        print(f"  {label:<12} {query:<17} {result.rps:8.1f} req/s", flush=True)
    return rows


async def _capture(
    settings: Settings, payloads: dict[str, dict[str, object]], headers: dict[str, str]
) -> dict[str, list[floor.Statement]]:
    """The statements one request of each query issues, from the app itself."""
    captured = {}
    for query, payload in payloads.items():
        statements, body = await floor.capture(settings, payload, headers)
        _check(body, "in-process capture")
        captured[query] = statements
    return captured


async def _floor(
    dsn: str,
    captured: dict[str, list[floor.Statement]],
    stats: StatementStats,
    args: argparse.Namespace,
) -> list[Row]:
    rows = []
    for query, statements in captured.items():
        await stats.reset()
        # The floor runs where the server ran, in place of it.
        os.sched_setaffinity(0, {SERVER_CPU})
        cpu_before = time.process_time()
        try:
            result = await floor.replay(
                dsn, statements, connections=args.connections, seconds=args.seconds
            )
        finally:
            cpu = time.process_time() - cpu_before
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        sql, _, db_ms = await stats.read()
        served = max(sql / max(len(statements), 1), 1)
        rows.append(
            Row(
                "raw asyncpg",
                query,
                result,
                sql_per_request=float(len(statements)),
                control_per_request=0.0,
                db_ms_per_request=db_ms / served,
                cpu_ms_per_request=cpu * 1000 / max(result.requests, 1),
            )
        )
        print(f"  {'raw asyncpg':<12} {query:<17} {result.rps:8.1f} req/s", flush=True)
    return rows


async def _run(args: argparse.Namespace) -> None:
    require_wrk()
    node = _install_postgraphile() if "postgraphile" in args.targets else None
    pg = PinnedPostgres(Path(args.pgdata), args.pg_port, [DATABASE_CPU])
    pg.start()
    try:
        await _prepare(pg.url, args.patients, args.reseed)
        database_url = _url(pg.url, DATABASE)
        settings = _settings(database_url)
        token = await _token(settings)
        patient = await _first_patient(database_url)
        now = datetime.now(UTC)
        start, end = queries.dashboard_window(now)
        stats = StatementStats(database_url)
        logs = Path(args.pgdata).parent
        rows: list[Row] = []
        ours = {
            "PatientList(50)": {
                "query": queries.ours("PatientList"),
                "variables": {"first": 50},
                "operationName": "PatientList",
            },
            "PatientDashboard": {
                "query": queries.ours("PatientDashboard"),
                "variables": {"id": patient, "from": start, "to": end},
                "operationName": "PatientDashboard",
            },
        }
        auth = {"Authorization": f"Bearer {token}"}
        captured = await _capture(settings, ours, auth)
        exact = {query: len(statements) for query, statements in captured.items()}
        print(
            f"PostgreSQL pinned to {pg.pinning()}; servers on CPU {SERVER_CPU}; "
            f"wrk on CPU {DATABASE_CPU}",
            flush=True,
        )
        # Ours with execution plans (the default), and the same server with
        # them switched off: graphql-core resolving field by field, as before.
        for target, label, plans in [
            ("ours", "prescripcare", "true"),
            ("noplans", "no plans", "false"),
        ]:
            if target not in args.targets:
                continue
            env = {
                "DATABASE_URL": database_url,
                "REDIS_URL": settings.redis_url or "",
                "REDIS_PREFIX": settings.redis_prefix,
                "JWT_SECRET": JWT_SECRET,
                "ACCESS_TOKEN_MINUTES": "60",
                "GRAPHQL_PLANS": plans,
            }
            command = [
                "taskset",
                "-c",
                str(SERVER_CPU),
                sys.executable,
                "-m",
                "prescripcare.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(args.port),
            ]
            with _process(
                command,
                env,
                f"http://127.0.0.1:{args.port}/health",
                logs / f"prescripcare-serve-{target}.log",
            ) as server:
                rows += await _measure(
                    label,
                    f"http://127.0.0.1:{args.port}/graphql",
                    ours,
                    auth,
                    stats,
                    server,
                    args,
                    exact_sql=exact,
                )
        if node is not None:
            theirs = {
                "PatientList(50)": {"query": queries.PG_PATIENT_LIST, "variables": {"first": 50}},
                "PatientDashboard": {
                    "query": queries.PG_PATIENT_DASHBOARD,
                    "variables": {"id": patient, "from": start, "to": end},
                },
            }
            cli = POSTGRAPHILE / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
            env = {
                "DATABASE_URL": database_url,
                "PORT": str(args.port + 1),
                "NODE_ENV": "production",
            }
            command = [
                "taskset",
                "-c",
                str(SERVER_CPU),
                str(node),
                str(cli),
                "-C",
                str(POSTGRAPHILE / "graphile.config.mjs"),
            ]
            with _process(
                command, env, f"http://127.0.0.1:{args.port + 1}/graphql", logs / "postgraphile.log"
            ) as server:
                rows += await _measure(
                    "postgraphile",
                    f"http://127.0.0.1:{args.port + 1}/graphql",
                    theirs,
                    {},
                    stats,
                    server,
                    args,
                )
        if "floor" in args.targets:
            rows += await _floor(database_url, captured, stats, args)
        print_table(rows, args)
        print_verdict(rows)
        title = (
            f"bench/load.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {args.connections} "
            f"connections, {args.seconds} s per run, {args.patients} patients"
        )
        write_chart(rows, Path(args.chart), title)
        print(f"chart: {args.chart}")
    finally:
        pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=15, help="per target and query")
    parser.add_argument("--connections", type=int, default=8, help="concurrent requests")
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--reseed", action="store_true", help="seed again even if seeded")
    parser.add_argument("--pgdata", default="/var/tmp/prescripcare-loadbench/pgdata")
    parser.add_argument("--pg-port", type=int, default=55432)
    parser.add_argument("--port", type=int, default=8765, help="ours; PostGraphile's is +1")
    parser.add_argument(
        "--targets",
        nargs="+",
        default=["ours", "noplans", "postgraphile", "floor"],
        choices=["ours", "noplans", "postgraphile", "floor"],
        help="noplans: our server with GRAPHQL_PLANS=false (the per-field executor)",
    )
    parser.add_argument(
        "--chart", default=str(ROOT / "docs" / "load-benchmark.png"), help="PNG written here"
    )
    asyncio.run(_run(parser.parse_args()))


if __name__ == "__main__":
    main()
