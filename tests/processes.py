"""The `prescripcare` command started as real processes (API replicas,
workers) on the test run's database and Redis, as operators start them."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from prescripcare.settings import Settings

CLI = [sys.executable, "-m", "prescripcare.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a CLI process on `settings`' database and Redis."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DATABASE_URL=settings.database_url or "",
        REDIS_URL=settings.redis_url or "",
        REDIS_PREFIX=settings.redis_prefix,
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_KIB="1024",
        ARGON2_PARALLELISM="1",
        **extra,
    )
    return env


def run(
    args: list[str], settings: Settings, cwd: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """`prescripcare ARGS` to its end, its output captured."""
    return subprocess.run(
        CLI + args,
        env=cli_env(settings),
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def start(
    args: list[str],
    env: dict[str, str],
    cwd: Path,
    stderr: int = subprocess.DEVNULL,
    command: list[str] = CLI,
) -> subprocess.Popen[bytes]:
    """`prescripcare ARGS`, by default from the suite's own interpreter."""
    return subprocess.Popen(
        [*command, *args], env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr
    )


def serve(
    settings: Settings, port: int, cwd: Path, stderr: int = subprocess.DEVNULL, **env: str
) -> subprocess.Popen[bytes]:
    """`prescripcare serve` in development mode, signing tokens as the suite does."""
    secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else ""
    environment = cli_env(settings, PRESCRIPCARE_ENV="development", JWT_SECRET=secret, **env)
    return start(["serve", "--port", str(port)], environment, cwd, stderr)


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, f"the API process of {url} stopped by itself"
        assert time.monotonic() < deadline, f"{url} never became healthy"
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)


async def wait_until(
    done: Callable[[], Awaitable[bool]],
    process: subprocess.Popen[bytes],
    failure: str,
    interval: float = 0.05,
) -> None:
    """Polls `done` while `process` runs; fails with `failure` after a minute."""
    deadline = asyncio.get_running_loop().time() + 60
    while not await done():
        assert process.poll() is None, "the process stopped by itself"
        assert asyncio.get_running_loop().time() < deadline, failure
        await asyncio.sleep(interval)


def stop(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout`."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def kill(process: subprocess.Popen[bytes]) -> None:
    """Ends a process a test has not already ended."""
    if process.poll() is None:
        process.kill()
        process.wait()


@contextmanager
def running_api(settings: Settings, cwd: Path, **env: str) -> Iterator[str]:
    """A `prescripcare serve` process; answers its base URL once /health answers."""
    port = free_port()
    process = serve(settings, port, cwd, subprocess.DEVNULL, **env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield url
    finally:
        stop(process)
