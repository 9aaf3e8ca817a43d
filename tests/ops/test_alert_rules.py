"""The alert rules, evaluated by Prometheus' own engine: `promtool check
rules` on every rule file in infra/prometheus/, and `promtool test rules` on
every unit-test file in infra/prometheus/tests/ (one per rule group, each
case a series history and the alerts expected at given times).

Adding a rule: put it in a rule file, and a `<group>.test.yaml` beside the
others with at least one case where it fires and one where it stays quiet;
the coverage test below fails until both exist. `.ci/run` installs Debian's
`prometheus` package for promtool; without it these tests are skipped."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "infra" / "prometheus"
RULE_FILES = sorted(RULES.glob("*.yaml"))
UNIT_TESTS = sorted((RULES / "tests").glob("*.test.yaml"))


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool is not installed (.ci/run installs Debian's package prometheus)")
    return found


def _run(*args: str, cwd: Path) -> None:
    done = subprocess.run(
        [_promtool(), *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _alerts(path: Path) -> set[str]:
    groups = yaml.safe_load(path.read_text()).get("groups", [])
    return {rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule}


def _cases() -> list[dict[str, Any]]:
    return [
        check
        for path in UNIT_TESTS
        for test in yaml.safe_load(path.read_text())["tests"]
        for check in test.get("alert_rule_test", [])
    ]


def test_rule_files_are_valid() -> None:
    _run("check", "rules", *(str(p) for p in RULE_FILES), cwd=RULES)


@pytest.mark.parametrize("unit_test", UNIT_TESTS, ids=lambda p: p.name)
def test_alert_rules_fire_exactly_when_their_unit_tests_say(unit_test: Path) -> None:
    _run("test", "rules", unit_test.name, cwd=unit_test.parent)


def test_every_unit_test_file_loads_only_shipped_rule_files() -> None:
    for path in UNIT_TESTS:
        for name in yaml.safe_load(path.read_text())["rule_files"]:
            assert (path.parent / name).resolve() in RULE_FILES, f"{path.name}: {name}"


def test_every_alert_has_a_case_that_fires_it_and_one_that_keeps_it_quiet() -> None:
    alerts = set().union(*(_alerts(p) for p in RULE_FILES))
    assert "PrescripCareMedicationReminderFailures" in alerts
    fired = {c["alertname"] for c in _cases() if c.get("exp_alerts")}
    quiet = {c["alertname"] for c in _cases() if not c.get("exp_alerts")}
    assert sorted(alerts - fired) == [], "alerts no case fires"
    assert sorted(alerts - quiet) == [], "alerts no case keeps quiet"
