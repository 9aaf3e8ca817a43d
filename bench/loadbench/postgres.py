"""The benchmark's own PostgreSQL, started under `taskset` so that it runs on
its own CPU, apart from the server under test.

The machine's shared server cannot be pinned without pinning everyone else's
connections too, so the benchmark runs the same PostgreSQL binaries on its own
data directory and port. The data directory is kept between runs: the seeded
clinic is reused (see load.py's --reseed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

# A throwaway read benchmark: durability settings only slow the seeding.
SERVER_OPTIONS = [
    "-c listen_addresses=127.0.0.1",
    "-c max_connections=200",
    "-c shared_buffers=1GB",
    "-c work_mem=16MB",
    "-c fsync=off",
    "-c full_page_writes=off",
    "-c synchronous_commit=off",
    "-c shared_preload_libraries=pg_stat_statements",
    "-c pg_stat_statements.track=top",
]


def find_bindir() -> Path:
    """The newest installed PostgreSQL's binaries (Debian layout or PATH)."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=_major)
    if debian:
        return debian[-1].parent
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    raise SystemExit("PostgreSQL binaries not found (install postgresql, or pass --database-url)")


def _major(path: Path) -> int:
    name = path.parent.parent.name
    return int(name) if name.isdigit() else 0


@dataclass
class PinnedPostgres:
    data_dir: Path
    port: int
    cpus: list[int]
    bindir: Path | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_owner(self, args: list[str]) -> list[str]:
        # PostgreSQL refuses to run as root: run it as the postgres user.
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *args]
        return args

    def start(self) -> None:
        bindir = self.bindir or find_bindir()
        if not (self.data_dir / "PG_VERSION").exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.data_dir, "postgres", "postgres")
            subprocess.run(
                self._as_owner(
                    [
                        str(bindir / "initdb"),
                        "-D",
                        str(self.data_dir),
                        "-U",
                        "postgres",
                        "--auth=trust",
                        "--encoding=UTF8",
                        "--locale=C.UTF-8",
                    ]
                ),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        # A server left running (an interrupted run) restarts with our settings.
        self.stop()
        options = " ".join([*SERVER_OPTIONS, f"-p {self.port}", f"-k {self.data_dir}"])
        cpu_list = ",".join(str(c) for c in self.cpus)
        # The postmaster starts pinned, so every backend it forks is pinned too.
        subprocess.run(
            self._as_owner(
                [
                    "taskset",
                    "-c",
                    cpu_list,
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-o",
                    options,
                    "-l",
                    str(self.data_dir / "server.log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        bindir = self.bindir or find_bindir()
        subprocess.run(
            self._as_owner(
                [str(bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"]
            ),
            check=False,
            stdout=subprocess.DEVNULL,
        )

    def pinning(self) -> str:
        """What the postmaster and its children are really pinned to."""
        pid_file = self.data_dir / "postmaster.pid"
        deadline = time.monotonic() + 5
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        postmaster = psutil.Process(int(pid_file.read_text().split()[0]))
        cpus = {tuple(p.cpu_affinity()) for p in [postmaster, *postmaster.children()]}
        return ", ".join("CPU " + ",".join(map(str, c)) for c in sorted(cpus))
