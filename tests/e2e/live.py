"""Node clients (npm packages, a browser) run against a real API process
(tests/processes.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

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
