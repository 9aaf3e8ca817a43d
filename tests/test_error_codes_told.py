"""Every error code is told inside the repository: the payload codes in the
schema's own description of UserError.code and in docs/errors.md, the
top-level codes in docs/errors.md; no description points outside."""

from __future__ import annotations

import re
from pathlib import Path

from prescripcare.errors import ERROR_MEANINGS, ErrorCode, TopLevelCode
from prescripcare.graphql.schema import export_sdl

ROOT = Path(__file__).resolve().parents[1]
DOCS = (ROOT / "docs" / "errors.md").read_text()


def test_every_payload_code_is_in_the_schema_and_the_docs() -> None:
    sdl = export_sdl()
    assert set(ERROR_MEANINGS) == set(ErrorCode)
    for code in ErrorCode:
        assert code.value in sdl.split("type UserError", 1)[1], code
        assert f"| `{code.value}` |" in DOCS, code


def test_every_top_level_code_is_in_the_docs() -> None:
    for code in TopLevelCode:
        assert f"`{code.value}`" in DOCS, code


def test_descriptions_name_only_files_that_exist() -> None:
    for path in re.findall(r"\b([\w./-]+\.md)\b", export_sdl()):
        assert (ROOT / path).is_file(), path
