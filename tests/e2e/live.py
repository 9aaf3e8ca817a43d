"""A real `prescripcare serve` process on the test database, for the clients
that only speak to a network server (npm packages, a browser)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from prescripcare.settings import Settings

HERE = Path(__file__).parent
NODE_MODULES = HERE / "node_modules"


def needs_node(*packages: str) -> pytest.MarkDecorator:
    missing = [p for p in packages if not (NODE_MODULES / p).exists()]
    return pytest.mark.skipif(
        shutil.which("node") is None or bool(missing),
        reason="needs node and `npm ci --prefix tests/e2e` (scripts/test does it)"
        + (f"; missing {', '.join(missing)}" if missing else ""),
    )


def node(script: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", str(HERE / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_api(settings: Settings, **env_overrides: str) -> Iterator[str]:
    """Serves the migrated test database in development mode; answers the
    base URL once /health answers."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        PRESCRIPCARE_ENV="development",
        DATABASE_URL=settings.database_url or "",
        REDIS_URL=settings.redis_url or "",
        REDIS_PREFIX=settings.redis_prefix,
        JWT_SECRET=settings.jwt_secret.get_secret_value() if settings.jwt_secret else "",
        **env_overrides,
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "prescripcare.cli", "serve", "--port", str(port)],
        env=env,
        cwd=HERE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the API process stopped by itself"
            assert time.monotonic() < deadline, f"{url} never became healthy"
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
