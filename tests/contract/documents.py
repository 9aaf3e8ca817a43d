"""The documents the apps send, as the repository ships them: the package's
trusted-documents manifest, built from the client contract. Tests read these,
so a clone of this repository alone runs them.

The client contract itself lives outside the repository (`../shared/contract`
beside a checkout, or PRESCRIPCARE_CONTRACT_DIR). Where a copy is present, the
contract tests also check that the shipped manifest is built from it; where it
is not, those checks skip and say why."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    parse,
    print_ast,
)

from prescripcare.graphql.trusted import contract_manifest

OUTSIDE_CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "contract"


def contract_document() -> DocumentNode:
    """Every operation of the shipped manifest in one document, by name, with
    each fragment they use once (each manifest entry carries its own copy)."""
    operations: dict[str, OperationDefinitionNode] = {}
    fragments: dict[str, FragmentDefinitionNode] = {}
    for text in contract_manifest().values():
        for definition in parse(text).definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                operations[definition.name.value] = definition
            elif isinstance(definition, FragmentDefinitionNode):
                fragments[definition.name.value] = definition
    ordered: list[ExecutableDefinitionNode] = [operations[name] for name in sorted(operations)]
    ordered += [fragments[name] for name in sorted(fragments)]
    return DocumentNode(definitions=tuple(ordered))


def contract_source() -> str:
    return print_ast(contract_document())


def outside_contract_dir() -> Path:
    """The outside copy of the client contract; skips the calling test without one."""
    configured = os.environ.get("PRESCRIPCARE_CONTRACT_DIR")
    directory = Path(configured) if configured else OUTSIDE_CONTRACT
    if not (directory / "operations.graphql").is_file():
        pytest.skip(
            f"no copy of the client contract at {directory}: the shipped manifest "
            "is used alone (set PRESCRIPCARE_CONTRACT_DIR to compare with one)"
        )
    return directory
