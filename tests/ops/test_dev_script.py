"""`scripts/dev` and `scripts/test` reinstall nothing when nothing changed:
scripts/_venv.sh installs only when the lock, the installer's lock or
pyproject.toml differ from what the venv's stamp records. Run here against a
copy of those files and a .venv whose python and uv only note that they were
called (the install itself is what tests/ops/test_runtime_install.py checks)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECORDER = '#!/bin/sh\necho "$(basename "$0") $*" >> "$(dirname "$0")/../calls"\n'


def _checkout(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "_venv.sh", repo / "scripts")
    shutil.copytree(ROOT / "requirements", repo / "requirements")
    shutil.copy(ROOT / "pyproject.toml", repo)
    bin_dir = repo / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for tool in ("python", "uv"):
        (bin_dir / tool).write_text(RECORDER)
        (bin_dir / tool).chmod(0o755)
    return repo


def _source(repo: Path, lock: str = "dev") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", f"LOCK={lock} source scripts/_venv.sh"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_warm_start_installs_nothing(tmp_path: Path) -> None:
    repo = _checkout(tmp_path)
    calls = repo / ".venv" / "calls"
    first = _source(repo)
    assert first.returncode == 0, first.stderr
    assert "installing requirements/dev.txt" in first.stderr
    installed = calls.read_text()
    assert "pip install" in installed and "uv pip install" in installed

    calls.unlink()
    warm = _source(repo)
    assert warm.returncode == 0, warm.stderr
    assert warm.stderr == "" and not calls.exists()

    (repo / "pyproject.toml").write_text((repo / "pyproject.toml").read_text() + "\n# changed\n")
    changed = _source(repo)
    assert "installing" in changed.stderr and calls.exists()


def _pins(lock: str) -> set[str]:
    lines = (ROOT / "requirements" / f"{lock}.txt").read_text().splitlines()
    return {line.split()[0] for line in lines if "==" in line and not line.startswith(" ")}


def test_the_test_lock_pins_everything_the_dev_lock_does_at_the_same_versions() -> None:
    """What lets a venv installed for the tests serve `scripts/dev` as it is."""
    assert _pins("dev") and _pins("dev") <= _pins("test")


def test_dev_after_the_tests_uses_their_venv_and_the_tests_after_dev_install(
    tmp_path: Path,
) -> None:
    repo = _checkout(tmp_path)
    calls = repo / ".venv" / "calls"
    assert "installing requirements/test.txt" in _source(repo, "test").stderr

    calls.unlink()
    dev = _source(repo, "dev")
    assert dev.returncode == 0, dev.stderr
    assert dev.stderr == "" and not calls.exists()
    assert _source(repo, "test").stderr == ""

    fresh = _checkout(tmp_path / "fresh")
    assert "installing requirements/dev.txt" in _source(fresh, "dev").stderr
    # A dev venv lacks the test tools: the tests install their lock.
    assert "installing requirements/test.txt" in _source(fresh, "test").stderr


def test_a_warm_dev_start_runs_on_bytecode_caches_and_installs_nothing(tmp_path: Path) -> None:
    """scripts/dev as a whole: the second start installs nothing, fetches no
    GraphiQL assets, and `prescripcare dev` runs where bytecode caches are
    written even if the caller's environment forbids them (without them
    every start compiles the service's modules again)."""
    repo = _checkout(tmp_path)
    shutil.copy(ROOT / "scripts" / "dev", repo / "scripts")
    graphiql = repo / "src" / "prescripcare" / "graphql"
    graphiql.mkdir(parents=True)
    shutil.copy(ROOT / "src" / "prescripcare" / "graphql" / "graphiql.py", graphiql)
    command = repo / ".venv" / "bin" / "prescripcare"
    # `graphiql-assets --output DIR` makes DIR, as the real command does.
    command.write_text(
        '#!/bin/sh\necho "prescripcare $1 ${PYTHONDONTWRITEBYTECODE-unset}"'
        ' >> "$(dirname "$0")/../calls"\n'
        '[ "$1" != graphiql-assets ] || mkdir -p "$3"\n'
    )
    command.chmod(0o755)
    calls = repo / ".venv" / "calls"

    def start() -> list[str]:
        calls.unlink(missing_ok=True)
        started = subprocess.run(
            ["bash", "scripts/dev"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        assert started.returncode == 0, started.stderr
        return calls.read_text().splitlines()

    first = start()
    assert "prescripcare graphiql-assets unset" in first
    assert any(call.startswith("uv pip install") for call in first)
    assert start() == ["prescripcare dev unset"]
