"""Compiling operations into selection trees: fragments, aliases, @skip and
@include, __typename; which operations have no plan; the plan cache."""

from __future__ import annotations

from typing import Any

from graphql import OperationDefinitionNode, parse
from graphql.execution.values import VariableValues, get_variable_values

import prescripcare.plans.fields  # noqa: F401  (registers the plans)
from prescripcare.graphql.schema import schema
from prescripcare.plans.compile import (
    PlanCache,
    Tree,
    compile_operation,
    directive_variables,
)

SCHEMA = schema._schema

DOCUMENT = """
query List($first: Int, $withDrugs: Boolean!, $lean: Boolean!) {
  people: patients(first: $first) {
    totalCount
    edges {
      node {
        __typename
        ...Names
        ... on Patient @skip(if: $lean) { timezone }
        prescriptions(status: ACTIVE) {
          id
          medicine: drug @include(if: $withDrugs) { name }
        }
      }
    }
  }
}
fragment Names on Patient { id name id }
"""


def _compile(text: str, variables: dict[str, Any]) -> Tree | None:
    document = parse(text)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    coerced = get_variable_values(SCHEMA, operation.variable_definitions or (), variables)
    assert isinstance(coerced, VariableValues)
    return compile_operation(SCHEMA, document, operation, coerced)


def _keys(tree: Tree) -> list[str]:
    return [s.key for s in tree]


def test_fragments_aliases_and_directives_collect_as_the_spec_says() -> None:
    tree = _compile(DOCUMENT, {"first": 5, "withDrugs": True, "lean": False})
    assert tree is not None and _keys(tree) == ["people"]
    edges = tree[0].children[1]
    assert edges.key == "edges" and _keys(edges.children) == ["node"]
    patient = edges.children[0].children
    # The fragment's repeated `id` merges into one key; order of first sight.
    assert _keys(patient) == ["__typename", "id", "name", "timezone", "prescriptions"]
    assert patient[0].typename == "Patient"
    assert _keys(patient[4].children) == ["id", "medicine"]

    lean = _compile(DOCUMENT, {"first": 5, "withDrugs": False, "lean": True})
    assert lean is not None
    patient = lean[0].children[1].children[0].children
    assert _keys(patient) == ["__typename", "id", "name", "prescriptions"]
    assert _keys(patient[3].children) == ["id"]


def test_operations_without_a_plan() -> None:
    assert _compile('{ drugs(search: "x") { name } }', {}) is None
    assert _compile('{ me { id } drugs(search: "x") { name } }', {}) is None
    assert _compile("{ __schema { queryType { name } } }", {}) is None
    assert _compile("{ me { id __type: __typename } }", {}) is not None
    mutation = 'mutation { logout(refreshToken: "x") { ok } }'
    assert _compile(mutation, {}) is None


def test_directive_variables_are_found_in_fragments_too() -> None:
    assert directive_variables(parse(DOCUMENT)) == ("lean", "withDrugs")
    assert directive_variables(parse("{ me { id } }")) == ()


def test_the_cache_keys_on_the_directive_outcome() -> None:
    cache = PlanCache(maxsize=2)
    document = parse(DOCUMENT)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)

    def tree(variables: dict[str, Any]) -> Tree | None:
        coerced = get_variable_values(SCHEMA, operation.variable_definitions or (), variables)
        assert isinstance(coerced, VariableValues)
        return cache.get(SCHEMA, DOCUMENT, document, operation, coerced)

    first = tree({"first": 5, "withDrugs": True, "lean": False})
    # Another page size is the same tree; another directive outcome is not.
    assert tree({"first": 50, "withDrugs": True, "lean": False}) is first
    assert tree({"first": 5, "withDrugs": False, "lean": False}) is not first
