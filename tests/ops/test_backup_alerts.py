"""The backup alerts, run by Prometheus' own rule engine (`promtool test
rules`): stale after 26 hours, WAL archiving failing; and a rule with a
planted defect (a 27-hour threshold) fails the same cases."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "infra" / "prometheus" / "alerts.yaml"
CASES = ROOT / "infra" / "prometheus" / "tests" / "backups.test.yaml"


def _promtool(cases: Path) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (apt-get install prometheus; .ci/run does)")
    return subprocess.run(
        [promtool, "test", "rules", str(cases)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cases.parent,
    )


def test_backup_alert_rules_pass_their_promtool_cases() -> None:
    done = _promtool(CASES)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_planted_threshold_defect_fails_them(tmp_path: Path) -> None:
    rules = RULES.read_text()
    assert "> 26 * 3600" in rules
    (tmp_path / "alerts.yaml").write_text(rules.replace("> 26 * 3600", "> 27 * 3600"))
    (tmp_path / "tests").mkdir()
    cases = tmp_path / "tests" / CASES.name
    shutil.copy(CASES, cases)
    done = _promtool(cases)
    assert done.returncode != 0 and "PrescripCareBackupStale" in done.stdout + done.stderr
