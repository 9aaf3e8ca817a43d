"""Which fields have a plan.

A field without a resolver is an attribute of the object its parent field
built (the `from_model` of the domain's Strawberry type), read exactly as
Strawberry's default resolver reads it: it has a plan by construction. A
field with a resolver has a plan only when one is registered here, as a batch
function over every parent at its level.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias

from graphql import GraphQLField, GraphQLObjectType

from prescripcare.graphql.context import Context

# (context, the parents at this level, the field's coerced arguments) ->
# one value per parent, in order.
Batch: TypeAlias = Callable[[Context, Sequence[Any], Mapping[str, Any]], Awaitable[Sequence[Any]]]

# Strawberry keeps its own field definition on each graphql-core field.
_DEFINITION = "strawberry-definition"

_BATCHES: dict[tuple[str, str], Batch] = {}


@dataclass(frozen=True, slots=True)
class FieldPlan:
    attribute: str | None = None
    batch: Batch | None = None


def batch(type_name: str, field_name: str) -> Callable[[Batch], Batch]:
    """Registers the batch plan of a resolver field (GraphQL names)."""

    def register(function: Batch) -> Batch:
        key = (type_name, field_name)
        if key in _BATCHES:
            raise ValueError(f"{type_name}.{field_name} has two plans")
        _BATCHES[key] = function
        return function

    return register


def plan_for(parent: GraphQLObjectType, name: str, field: GraphQLField) -> FieldPlan | None:
    found = _BATCHES.get((parent.name, name))
    if found is not None:
        return FieldPlan(batch=found)
    definition = (field.extensions or {}).get(_DEFINITION)
    if definition is None or definition.base_resolver is not None:
        return None
    # Permissions or field extensions would run inside Strawberry's resolver:
    # such a field is not a plain attribute.
    if definition.permission_classes or definition.extensions:
        return None
    return FieldPlan(attribute=definition.python_name)


def planned_fields() -> frozenset[tuple[str, str]]:
    """The resolver fields with a plan (for tests and documentation)."""
    return frozenset(_BATCHES)


@contextmanager
def swapped(type_name: str, field_name: str, function: Batch) -> Iterator[None]:
    """Another plan for a field while the block runs: the oracle's own test
    plants a broken one to show that it notices."""
    key = (type_name, field_name)
    kept = _BATCHES[key]
    _BATCHES[key] = function
    try:
        yield
    finally:
        _BATCHES[key] = kept
