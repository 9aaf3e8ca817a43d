"""schema.graphql at the repository root is what the code exports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from prescripcare.graphql.schema import export_sdl

ROOT = Path(__file__).resolve().parents[1]


def test_checked_in_schema_is_current() -> None:
    checked_in = (ROOT / "schema.graphql").read_text()
    assert checked_in == export_sdl(), (
        "schema.graphql is stale: run `prescripcare export-schema --output schema.graphql`"
    )


def test_export_schema_command_writes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "out.graphql"
    subprocess.run(
        [sys.executable, "-m", "prescripcare.cli", "export-schema", "--output", str(target)],
        check=True,
        cwd=tmp_path,
    )
    assert target.read_text() == export_sdl()
    printed = subprocess.run(
        [sys.executable, "-m", "prescripcare.cli", "export-schema"],
        check=True,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    ).stdout
    assert printed == export_sdl()
    assert "type Patient {" in printed and "scalar LocalTime" in printed
