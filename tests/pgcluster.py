"""A throwaway PostgreSQL 15 cluster of the test's own (initdb, pg_ctl), on
a free loopback port, for what the shared server must not be reconfigured
for: TLS, WAL archiving, a restore to a point in time.

PostgreSQL refuses to run as root, so under root the cluster belongs to the
`postgres` system user, as a packaged server does.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.processes import free_port

PG_BIN = Path(os.environ.get("TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


def unavailable() -> str | None:
    """Why a throwaway cluster cannot be made here, or None."""
    if not (PG_BIN / "initdb").is_file():
        return f"no PostgreSQL 15 server binaries in {PG_BIN} (apt-get install postgresql-15)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a postgres user to own the cluster"
    return None


def owner_prefix() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def give_to_owner(path: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        for root, dirs, files in os.walk(path):
            os.chown(root, entry.pw_uid, entry.pw_gid)
            for name in [*dirs, *files]:
                os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)


def as_owner(
    args: list[str], env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Runs a command as the cluster's owner; a failure shows its output."""
    done = subprocess.run(
        [*owner_prefix(), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{args[0]} failed: {done.stdout}\n{done.stderr}"
    return done


class Cluster:
    def __init__(self, home: Path, settings: dict[str, str], hba: list[str]) -> None:
        self.home = home
        self.data = home / "data"
        self.port = free_port()
        self.settings = settings
        self.hba = hba

    def url(self, database: str = "postgres", host: str = "127.0.0.1") -> str:
        return f"postgresql://postgres@{host}:{self.port}/{database}"

    def init(self) -> None:
        as_owner(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ]
        )
        conf = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.home}'",
            "fsync": "off",
            "timezone": "'UTC'",
            **self.settings,
        }
        with (self.data / "postgresql.conf").open("a") as handle:
            handle.writelines(f"{k} = {v}\n" for k, v in conf.items())
        (self.data / "pg_hba.conf").write_text("\n".join(self.hba) + "\n")

    def start(self, env: dict[str, str] | None = None) -> None:
        """Starts the server; `env` is its environment (archive_command's too)."""
        as_owner(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.home / "server.log"),
                "-w",
                "-t",
                "120",
                "start",
            ],
            env=env,
            timeout=150,
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [
                    *owner_prefix(),
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "fast",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                timeout=120,
                check=False,
            )

    def log(self) -> str:
        path = self.home / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_until_accepting(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            done = subprocess.run(
                [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
                check=False,
            )
            if done.returncode == 0:
                return
            assert time.monotonic() < deadline, f"cluster not ready:\n{self.log()[-3000:]}"
            time.sleep(0.2)


@contextmanager
def workspace() -> Iterator[Path]:
    """A directory the cluster's owner can use (pytest's tmp_path is root's own)."""
    home = Path(tempfile.mkdtemp(prefix="prescripcare-pg-"))
    home.chmod(0o755)
    try:
        give_to_owner(home)
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def running(
    home: Path, settings: dict[str, str], hba: list[str], env: dict[str, str] | None = None
) -> Iterator[Cluster]:
    cluster = Cluster(home, settings, hba)
    cluster.init()
    try:
        cluster.start(env)
        yield cluster
    finally:
        cluster.stop()
