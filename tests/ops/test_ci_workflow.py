"""The GitHub Actions workflow, checked offline: jactionlint (the maintained
fork of actionlint; its correctness profile is actionlint's checks) with
shellcheck on every `run:` script, and the shape CI needs: the README's test
command against PostgreSQL and Redis service containers, and the image built
and started with its build commit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
# Pinning actions and images to digests is a supply-chain policy, not a
# correctness check, and the digests cannot be looked up offline.
POLICY_ONLY = ("unpinned-uses", "unpinned-images")


def _tools() -> tuple[str, dict[str, str]]:
    """jactionlint, and an environment whose PATH finds shellcheck
    (both installed by the test extra, beside this interpreter)."""
    here = Path(sys.executable).parent
    path = f"{here}{os.pathsep}{os.environ.get('PATH', '')}"
    lint = shutil.which("jactionlint", path=path)
    if lint is None or shutil.which("shellcheck", path=path) is None:
        pytest.skip("jactionlint and shellcheck come with the test extra (pip install -e .[test])")
    return lint, {**os.environ, "PATH": path}


def _lint(workflow: Path, *options: str) -> subprocess.CompletedProcess[str]:
    lint, env = _tools()
    return subprocess.run(
        [lint, "--no-color", *options, str(workflow)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def _workflow() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def test_the_workflow_passes_actionlints_checks_and_the_security_rules() -> None:
    correctness = _lint(WORKFLOW, "--profile", "correctness")
    assert correctness.returncode == 0, correctness.stdout + correctness.stderr
    ignores = [arg for rule in POLICY_ONLY for arg in ("--ignore", rule)]
    default = _lint(WORKFLOW, *ignores)
    assert default.returncode == 0, default.stdout + default.stderr


def test_the_linter_catches_a_broken_workflow(tmp_path: Path) -> None:
    # Planted defects: a job needing one that does not exist, and a script
    # shellcheck refuses. A linter that passed this would prove nothing.
    broken = tmp_path / ".github" / "workflows" / "ci.yml"
    broken.parent.mkdir(parents=True)
    text = WORKFLOW.read_text().replace(
        "    runs-on: ubuntu-24.04\n    timeout-minutes: 30\n",
        "    needs: [tests]\n    runs-on: ubuntu-24.04\n    timeout-minutes: 30\n",
    )
    text = text.replace("bash .ci/run", "for f in $(ls *.yml); do bash .ci/run; done")
    assert text.count("needs: [tests]") == 1 and "$(ls *.yml)" in text
    broken.write_text(text)
    done = _lint(broken, "--profile", "correctness")
    assert done.returncode != 0
    assert "tests" in done.stdout and "SC2045" in done.stdout, done.stdout


def test_ci_runs_the_readme_test_command_against_postgresql_and_redis() -> None:
    test = _workflow()["jobs"]["test"]
    services = test["services"]
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:")
    assert test["env"]["TEST_DATABASE_URL"] == "postgresql://postgres@postgres:5432/test"
    assert test["env"]["REDIS_URL"] == "redis://redis:6379/0"
    scripts = "\n".join(step.get("run", "") for step in test["steps"])
    assert "bash .ci/run" in scripts
    readme = (ROOT / "README.md").read_text()
    assert "./scripts/test" in readme and "`.ci/run`" in readme
    assert "exec ./scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_ci_builds_the_image_and_starts_it_with_its_commit() -> None:
    image = _workflow()["jobs"]["image"]
    assert {"postgres", "redis"} <= set(image["services"])
    scripts = "\n".join(step.get("run", "") for step in image["steps"])
    assert 'docker build --build-arg "BUILD_COMMIT=${GITHUB_SHA}"' in scripts
    assert "prescripcare:ci migrate" in scripts
    assert "/ready" in scripts and "['commit'] == os.environ['GITHUB_SHA']" in scripts
