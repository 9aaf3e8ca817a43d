"""Runs a compiled tree level by level.

Every selection is resolved once for all the parents at its level (a list of
fifty patients asks each batch plan once, with fifty parents), and values are
completed as the spec's CompleteValue does: lists flattened so their items
complete together, leaves through the schema's own `serialize`, objects by
their selections. Sibling selections that wait on the database wait
together. Whatever the spec would turn into a field error (a null in a
non-null position, a serializer that refuses a value, an exception from a
plan) raises `Abandon`: the caller then runs the operation through the
reference executor, which reports it exactly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from graphql import GraphQLList, GraphQLNonNull, GraphQLOutputType, is_leaf_type
from graphql.execution.values import VariableValues, get_argument_values

from prescripcare.graphql.context import Context
from prescripcare.plans.compile import Selection, Tree

T = TypeVar("T")


class Abandon(Exception):
    """The plan cannot answer this operation exactly."""


def every(found: Sequence[T | None], missing: str) -> list[T]:
    """`found`, when nothing is missing: a row a resolver asserts exists but
    that is absent is the resolver's error to report, not the plan's."""
    out: list[T] = []
    for item in found:
        if item is None:
            raise Abandon(missing)
        out.append(item)
    return out


async def run_tree(ctx: Context, tree: Tree, variables: VariableValues) -> dict[str, Any]:
    rows = await _objects(_Run(ctx, variables), tree, [None])
    return rows[0]


class _Run:
    __slots__ = ("ctx", "variables")

    def __init__(self, ctx: Context, variables: VariableValues) -> None:
        self.ctx = ctx
        self.variables = variables


async def _objects(run: _Run, tree: Tree, parents: Sequence[Any]) -> list[dict[str, Any]]:
    """One response object per parent, keys in selection order."""
    columns: list[list[Any] | None] = [None] * len(tree)
    waiting: list[tuple[int, Coroutine[Any, Any, list[Any]]]] = []
    for index, selection in enumerate(tree):
        plan = selection.plan
        if plan is None:  # __typename
            columns[index] = [selection.typename] * len(parents)
        elif plan.attribute is not None and selection.leaf:
            columns[index] = _leaves(selection.type, [getattr(p, plan.attribute) for p in parents])
        else:
            waiting.append((index, _column(run, selection, parents)))
    if len(waiting) == 1:
        columns[waiting[0][0]] = await waiting[0][1]
    elif waiting:
        # A task group, not gather: when one sibling fails the others are
        # cancelled and awaited, so nothing of an abandoned plan runs on.
        async with asyncio.TaskGroup() as group:
            tasks = [(index, group.create_task(w)) for index, w in waiting]
        for index, task in tasks:
            columns[index] = task.result()
    keys = [s.key for s in tree]
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]


async def _column(run: _Run, selection: Selection, parents: Sequence[Any]) -> list[Any]:
    plan = selection.plan
    assert plan is not None and selection.field is not None
    if plan.attribute is not None:
        values = [getattr(p, plan.attribute) for p in parents]
    else:
        assert plan.batch is not None
        arguments = get_argument_values(selection.field, selection.node, run.variables)
        values = list(await plan.batch(run.ctx, parents, arguments))
        if len(values) != len(parents):
            raise Abandon(f"{selection.key}: {len(values)} values for {len(parents)} parents")
    return await _complete(run, selection, selection.type, values)


async def _complete(
    run: _Run, selection: Selection, type_: GraphQLOutputType, values: list[Any]
) -> list[Any]:
    if isinstance(type_, GraphQLNonNull):
        done = await _complete(run, selection, type_.of_type, values)
        for value in done:
            if value is None:
                raise Abandon(f"null in non-null {selection.key}")
        return done
    if isinstance(type_, GraphQLList):
        flat: list[Any] = []
        lengths: list[int] = []
        for value in values:
            if value is None:
                lengths.append(-1)
            else:
                items = list(value)
                flat.extend(items)
                lengths.append(len(items))
        items_done = await _complete(run, selection, type_.of_type, flat) if flat else []
        out: list[Any] = []
        at = 0
        for length in lengths:
            if length < 0:
                out.append(None)
            else:
                out.append(items_done[at : at + length])
                at += length
        return out
    if is_leaf_type(type_):
        return _leaves(type_, values)
    present = [v for v in values if v is not None]
    rows = iter(await _objects(run, selection.children, present) if present else [])
    return [None if v is None else next(rows) for v in values]


def _leaves(type_: GraphQLOutputType, values: list[Any]) -> list[Any]:
    """Serialized leaves, with nullability checked (for leaf attributes,
    which skip `_complete`)."""
    non_null = isinstance(type_, GraphQLNonNull)
    named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    serialize = named.serialize  # type: ignore[union-attr]
    out: list[Any] = []
    for value in values:
        if value is None:
            if non_null:
                raise Abandon("null in a non-null leaf")
            out.append(None)
            continue
        serialized = serialize(value)
        if serialized is None:
            raise Abandon(f"{named} serialized {value!r} to null")
        out.append(serialized)
    return out
