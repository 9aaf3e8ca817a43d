"""The schema stays usable by the React apps: GraphQL Code Generator turns
schema.graphql and the contract's documents into TypeScript types, and code
written against them type-checks under `tsc --strict`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from graphql import build_schema, print_ast
from graphql.type import GraphQLScalarType, specified_scalar_types

from tests.contract.documents import contract_document
from tests.e2e.live import HERE, NODE_MODULES, needs_node

ROOT = HERE.parents[1]
SOURCES = HERE / "codegen"

pytestmark = needs_node("@graphql-codegen/cli", "typescript")


def _served_operations() -> str:
    """The contract's documents (tests/contract proves the schema serves them all)."""
    return print_ast(contract_document())


def _custom_scalars() -> dict[str, str]:
    """Our scalars travel as ISO-8601 strings (the contract's formats)."""
    schema = build_schema((ROOT / "schema.graphql").read_text())
    return {
        name: "string"
        for name, t in schema.type_map.items()
        if isinstance(t, GraphQLScalarType)
        and name not in specified_scalar_types
        and not name.startswith("__")
    }


def _tsc(workdir: Path, *files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(str(NODE_MODULES / ".bin" / "tsc"), "--noEmit", "--strict", "--skipLibCheck"),
            *("--target", "es2022", "--module", "es2022", "--moduleResolution", "bundler"),
            *files,
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_generated_types_type_check_and_catch_misuse(tmp_path: Path) -> None:
    (tmp_path / "operations.graphql").write_text(_served_operations())
    config = {
        "overwrite": True,
        "schema": str(ROOT / "schema.graphql"),
        "documents": str(tmp_path / "operations.graphql"),
        "generates": {
            str(tmp_path / "generated.ts"): {
                "plugins": ["typescript-operations"],
                "config": {"strictScalars": True, "scalars": _custom_scalars()},
            }
        },
    }
    (tmp_path / "codegen.json").write_text(json.dumps(config))
    generated = subprocess.run(
        [
            str(NODE_MODULES / ".bin" / "graphql-codegen"),
            "--config",
            str(tmp_path / "codegen.json"),
        ],
        cwd=HERE,  # where the plugins are installed
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    types = (tmp_path / "generated.ts").read_text()
    assert "export type LoginMutation = " in types and "export type MeQuery = " in types

    for name in ("usage.ts", "misuse.ts"):
        shutil.copy(SOURCES / name, tmp_path / name)
    good = _tsc(tmp_path, "generated.ts", "usage.ts")
    assert good.returncode == 0, good.stdout + good.stderr

    bad = _tsc(tmp_path, "generated.ts", "misuse.ts")
    assert bad.returncode != 0
    errors = set(re.findall(r"misuse\.ts\(\d+,\d+\): error (TS\d+)", bad.stdout))
    # number -> string, and a property the payload does not have.
    assert errors == {"TS2322", "TS2339"}, bad.stdout
