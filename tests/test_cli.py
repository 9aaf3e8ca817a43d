"""The `prescripcare` command, run as operators and tools run it: as a
process, from another working directory."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import select

from prescripcare.auth.models import User
from prescripcare.demo import CLINICIAN, LOGINS
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.drugs.catalog_state import scratch_catalog  # noqa: F401
from tests.processes import CLI, cli_env, free_port, run


async def test_migrate_is_idempotent_from_any_directory(
    migrated: Settings, resources: Resources, tmp_path: Path
) -> None:
    done = run(["migrate"], migrated, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "newest schema" in done.stdout


async def test_create_user_reads_the_password_from_stdin(
    migrated: Settings, resources: Resources, tmp_path: Path
) -> None:
    done = run(
        [
            "create-user",
            "--email",
            "Root@Clinic.example.org",
            "--role",
            "ADMIN",
            "--password-stdin",
        ],
        migrated,
        tmp_path,
        stdin="an operator passphrase\n",
    )
    assert done.returncode == 0, done.stderr
    async with resources.sessions() as s:
        user = (await s.scalars(select(User))).one()
    assert (user.email, user.role) == ("root@clinic.example.org", "ADMIN")
    assert "an operator passphrase" not in done.stdout + done.stderr
    again = run(
        [
            "create-user",
            "--email",
            "root@clinic.example.org",
            "--role",
            "ADMIN",
            "--password",
            "another passphrase here",
        ],
        migrated,
        tmp_path,
    )
    assert again.returncode == 2 and "EMAIL_TAKEN" in again.stderr
    weak = run(
        [
            "create-user",
            "--email",
            "x@clinic.example.org",
            "--role",
            "CLINICIAN",
            "--password",
            "password",
        ],
        migrated,
        tmp_path,
    )
    assert weak.returncode == 2 and "WEAK_PASSWORD" in weak.stderr


async def test_seed_demo_prints_logins_once(
    migrated: Settings, resources: Resources, tmp_path: Path
) -> None:
    first = run(["seed", "--demo"], migrated, tmp_path)
    assert first.returncode == 0, first.stderr
    assert all(login.email in first.stdout and login.password in first.stdout for login in LOGINS)
    second = run(["seed", "--demo"], migrated, tmp_path)
    assert second.returncode == 0 and "already present" in second.stdout
    assert CLINICIAN.password not in second.stdout


def test_production_refuses_to_start_without_secrets(migrated: Settings, tmp_path: Path) -> None:
    env = cli_env(migrated, PRESCRIPCARE_ENV="production")
    env.pop("JWT_SECRET", None)
    done = subprocess.run(
        [*CLI, "migrate"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "JWT_SECRET is required" in done.stderr


def _dev(data_dir: Path, port: int, cwd: Path) -> subprocess.Popen[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "PRESCRIPCARE_ENV")
    }
    env.update(ARGON2_TIME_COST="1", ARGON2_MEMORY_KIB="1024", ARGON2_PARALLELISM="1")
    return subprocess.Popen(
        [*CLI, "dev", "--port", str(port), "--data-dir", str(data_dir)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_ready(proc: subprocess.Popen[str], base: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "dev server did not become ready"
        time.sleep(0.5)


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    return output


def _quiet(output: str) -> None:
    """One line per step, the demo logins once, no library chatter."""
    assert output.count(CLINICIAN.password) == 1, output
    for noise in ("seed skipped", "alembic", "setup plugin", "Uvicorn running", "XDG_RUNTIME_DIR"):
        assert noise not in output, (noise, output)
    for step in ("servers ", "database ", "reference ", "demo "):
        assert sum(line.startswith(step) for line in output.splitlines()) == 1, (step, output)
    assert re.search(r"GraphiQL answering \d+\.\d s after", output), output


def test_dev_runs_the_whole_product_on_embedded_services(tmp_path: Path) -> None:
    """`prescripcare dev` with no DATABASE_URL or REDIS_URL: embedded servers,
    migrations, demo data, GraphiQL; Ctrl-C stops all of it. Started again,
    it only checks what the first start did, and says so quietly."""
    port = free_port()
    data_dir = tmp_path / "data"
    proc = _dev(data_dir, port, tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        # The first start replays the demo clinic's 90 days through the
        # services (about a minute on a busy shared machine).
        _wait_ready(proc, base, 300)
        login = httpx.post(
            f"{base}/graphql",
            json={
                "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) "
                "{ accessToken errors { code } } }",
                "variables": {"e": CLINICIAN.email, "p": CLINICIAN.password},
            },
        ).json()
        token = login["data"]["login"]["accessToken"]
        listed = httpx.post(
            f"{base}/graphql",
            json={"query": "{ patients { totalCount } }"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert listed["data"]["patients"]["totalCount"] == 5
        assert "graphiql" in httpx.get(f"{base}/graphql", headers={"Accept": "text/html"}).text
    finally:
        output = _stop(proc)
    assert f"http://127.0.0.1:{port}/graphql" in output
    assert "clinic created" in output
    _quiet(output)
    # Postgres was stopped with the command and its data kept for next time.
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
    assert (data_dir / "postgres" / "PG_VERSION").exists()
    # So was Redis: no server is left running in its data directory.
    assert not [
        p.pid
        for p in psutil.process_iter(["cwd"])
        if (p.info["cwd"] or "").startswith(str(data_dir))
    ]

    warm = _dev(data_dir, port, tmp_path)
    try:
        _wait_ready(warm, base, 120)
    finally:
        time.sleep(3)  # the start's own report follows readiness
        again = _stop(warm)
    _quiet(again)
    assert "at the newest schema" in again
    assert "drug catalog and interaction rules up to date" in again
    assert "clinic present" in again


SYNTHETIC = Path(__file__).resolve().parent / "drugs" / "data" / "synthetic_rrf"


@pytest.mark.usefixtures("scratch_catalog")
def test_import_rxnorm_command(migrated: Settings, tmp_path: Path) -> None:
    first = run(["import-rxnorm", str(SYNTHETIC), "--release", "cli-synthetic"], migrated, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "RxNorm release cli-synthetic" in first.stdout
    assert "drug search (postgres)" in first.stdout
    again = run(["import-rxnorm", str(SYNTHETIC), "--release", "cli-synthetic"], migrated, tmp_path)
    assert again.returncode == 0 and "already imported" in again.stdout
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "RXNCONSO.RRF").write_text("1|ENG|\n")
    (broken / "RXNREL.RRF").write_text("")
    rejected = run(["import-rxnorm", str(broken)], migrated, tmp_path)
    assert rejected.returncode == 2
    assert "RXNCONSO.RRF line 1" in rejected.stderr and "nothing was imported" in rejected.stderr


@pytest.mark.usefixtures("scratch_catalog")
def test_import_interactions_command(migrated: Settings, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        "drug_a,drug_b,severity,description,source\n"
        "warfarin,lisinopril,minor,A test rule.,CLI feed\n"
    )
    done = run(["import-interactions", str(good)], migrated, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "1 rows read, 1 interaction rules written" in done.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("drug_a,drug_b,severity,description,source\nwarfarin,nothing,minor,x,y\n")
    rejected = run(["import-interactions", str(bad)], migrated, tmp_path)
    assert rejected.returncode == 2 and "line 2" in rejected.stderr
