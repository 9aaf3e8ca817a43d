"""Which root fields a GraphQL document asks for, counted per field, read
before execution. An alias does not hide a field: `a: login(...) b:
login(...)` is two logins, each with its own target e-mail."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)
from graphql.utilities import value_from_ast_untyped


@dataclass(frozen=True, slots=True)
class RootField:
    name: str
    arguments: dict[str, Any]


def root_fields(
    query: str | None,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    max_tokens: int,
) -> list[RootField]:
    """The root fields the request would run; an unparsable document runs
    nothing (execution answers its syntax error), so it has none."""
    if not query:
        return []
    document = _parsed(query, max_tokens)
    if document is None:
        return []
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    values = dict(variables or {})
    found: list[RootField] = []
    for operation in _operations(document, operation_name):
        for node in _fields(operation.selection_set, fragments, set()):
            found.append(RootField(node.name.value, _arguments(node, values)))
    return found


@lru_cache(maxsize=256)
def _parsed(query: str, max_tokens: int) -> DocumentNode | None:
    """The apps send a few dozen documents: each is parsed once, not on every
    request (only read here, never changed)."""
    try:
        return parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return None


def _operations(
    document: DocumentNode, operation_name: str | None
) -> list[OperationDefinitionNode]:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        named = [o for o in operations if o.name and o.name.value == operation_name]
        return named or operations
    # With several operations and no name execution refuses the document;
    # counting them all is the safe side either way.
    return operations


def _fields(
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: set[str],
) -> Iterator[FieldNode]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            # A fragment spread twice runs its fields once (they merge).
            if fragment is not None and name not in seen:
                seen.add(name)
                yield from _fields(fragment.selection_set, fragments, seen)


def _arguments(node: FieldNode, variables: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for argument in node.arguments or ():
        try:
            values[argument.name.value] = value_from_ast_untyped(argument.value, variables)
        except (TypeError, ValueError, KeyError):
            continue
    return values
