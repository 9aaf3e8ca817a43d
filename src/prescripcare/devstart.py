"""`prescripcare dev`: the whole product on embedded servers, started quietly.

One line per step, each with its time; the demo logins once; and, when the
API answers, how long the start took, counted from when `./scripts/dev`
began (it exports PRESCRIPCARE_DEV_STARTED) or else from this process's
start. A warm start (nothing to install, migrate, load or seed) does only
what it must: start the servers, check, and serve.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from prescripcare.settings import Settings

if TYPE_CHECKING:
    from prescripcare.demo import DemoLogin

STARTED_ENV = "PRESCRIPCARE_DEV_STARTED"
# Loggers whose start-up chatter our step lines replace in development:
# Alembic's per-revision lines (the database step names the revision),
# uvicorn's four start-up lines and arq's per-job lines.
QUIET_IN_DEV = ("alembic", "uvicorn.error", "arq.worker", "arq.jobs")


class Steps:
    def __init__(self) -> None:
        given = os.environ.get(STARTED_ENV)
        self.started = float(given) if given else time.time()
        self.since_script = given is not None
        self._last = time.monotonic()

    def elapsed(self) -> float:
        return time.time() - self.started

    def done(self, name: str, detail: str) -> None:
        now = time.monotonic()
        print(f"{name:<10} {detail} ({now - self._last:.1f} s)", flush=True)
        self._last = now


def quiet_for_dev() -> None:
    for name in QUIET_IN_DEV:
        logging.getLogger(name).setLevel(logging.WARNING)
    # pgserver asks platformdirs for a runtime directory; on machines without
    # XDG_RUNTIME_DIR that warns on every start and changes nothing.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


async def prepare(settings: Settings, steps: Steps) -> list[DemoLogin]:
    """Migrate, load reference data if this release's is not loaded, and seed
    the demo clinic if it is not there; answers the logins it created."""
    from prescripcare.db import transaction
    from prescripcare.demo.seed import seed_demo
    from prescripcare.drugs.seed import load_seed, seed_is_current
    from prescripcare.migrate import head_in_files, revision_in_database, upgrade
    from prescripcare.resources import open_resources

    async with open_resources(settings) as res:
        # alembic_version and the revision files, read directly: a database
        # at head costs one query, not Alembic's start-up.
        async with res.engine.connect() as connection:
            before = await revision_in_database(connection)
        head = head_in_files()
        if before != head:
            await upgrade(res.engine)
            steps.done("database", f"migrated {before or 'empty'} -> {head}")
        else:
            steps.done("database", f"at the newest schema ({head})")
        async with transaction(res.sessions) as session:
            current = await seed_is_current(session)
            if not current:
                report = await load_seed(session, res.clock.now())
        if current:
            steps.done("reference", "drug catalog and interaction rules up to date")
        else:
            async with res.sessions() as session:
                terms = await res.drug_search.sync(session)
            steps.done(
                "reference",
                f"{report.concepts} drug concepts, {report.interactions} interaction rules, "
                f"{terms} search terms ({len(report.skipped)} source rows left out; "
                "LOG_LEVEL=DEBUG lists them)",
            )
        created = await seed_demo(res)
        steps.done("demo", "clinic created: 90 days of history" if created else "clinic present")
    return created


def banner(host: str, port: int, data_dir: Path) -> None:
    from prescripcare.demo import LOGINS

    print(f"\nPrescripCare (development) on http://{host}:{port}/graphql (GraphiQL)")
    print(f"data directory: {data_dir}\nDemo logins (development data only):")
    for login in LOGINS:
        print(f"  {login.role.value:<9}  {login.email:<42}  {login.password}")
    print("Ctrl-C stops everything (API, worker, PostgreSQL, Redis).\n", flush=True)


async def report_when_answering(url: str, steps: Steps) -> None:
    """Asks the API what GraphiQL asks first, until it answers; then prints
    how long the start took."""
    import httpx

    async with httpx.AsyncClient(timeout=2) as client:
        while True:
            try:
                answer = await client.post(url, json={"query": "{ __typename }"})
                if answer.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    origin = "./scripts/dev started" if steps.since_script else "this process started"
    print(f"GraphiQL answering {steps.elapsed():.1f} s after {origin}", flush=True)
