"""`scripts/dev` and `scripts/test` reinstall nothing when nothing changed:
scripts/_venv.sh installs only when the lock, the installer's lock or
pyproject.toml differ from what the venv's stamp records. Run here against a
copy of those files and a .venv whose python and uv only note that they were
called (the install itself is what tests/ops/test_runtime_install.py checks)."""

from __future__ import annotations

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


def _source(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", "LOCK=dev source scripts/_venv.sh"],
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
