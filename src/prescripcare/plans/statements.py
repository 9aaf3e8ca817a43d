"""SQL built once, run as prepared statements returning plain rows.

A loader builds its `select()` afresh for every batch and SQLAlchemy turns
each row into an ORM instance; for a planned operation that is most of the
cost of a read. Here the loader's own statement builder (the same function,
so the same columns, joins and viewer filter) is compiled once per dialect
and viewer shape (`patients.access.visibility_shape`), with its values left
as named parameters; each execution binds them and runs the text on the
operation's connection through asyncpg, which prepares it once per
connection. Every column value goes through the result processor
SQLAlchemy would apply (so encrypted columns are opened by their own
`TypeDecorator`, exactly as when the ORM loads them), and rows come back as
named tuples: `row.id`, `row.rxcui`, read like the model's attributes.
"""

from __future__ import annotations

import uuid
from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Dialect

from prescripcare.auth.viewer import Viewer
from prescripcare.loading import AnySelect
from prescripcare.patients.access import (
    VIEWER_AT,
    VIEWER_ID,
    visibility_params,
    visibility_shape,
)

Build = Callable[[Viewer], AnySelect]
VIEWER_PARAMS = frozenset({VIEWER_ID, VIEWER_AT})
_LATER = timedelta(seconds=1)


@dataclass(frozen=True)
class Compiled:
    sql: str
    names: tuple[str, ...]  # the bind parameters, in positional order
    fixed: dict[str, Any]  # the values the statement carries itself (constants)
    binders: tuple[Callable[[Any], Any] | None, ...]
    types: tuple[Any, ...]  # SQLAlchemy types of the result columns
    row: type  # a named tuple of the result columns
    dialect: Dialect
    # (column index, result processor) of the columns that have one, once
    # the first result has described the columns' PostgreSQL types (a
    # processor may depend on them, as SQLAlchemy's own cursor description
    # tells it), and whether the driver's rows can be handed out as they are.
    processing: list[tuple[tuple[tuple[int, Callable[[Any], Any]], ...], bool]] = field(
        default_factory=list
    )

    def processing_for(
        self, description: Sequence[Sequence[Any]]
    ) -> tuple[tuple[tuple[int, Callable[[Any], Any]], ...], bool]:
        if not self.processing:
            found = []
            for index, (kind, column) in enumerate(zip(self.types, description, strict=True)):
                process = kind._cached_result_processor(self.dialect, column[1])
                if process is not None:
                    found.append((index, process))
            names = tuple(column[0] for column in description)
            as_they_are = not found and names == self.row._fields  # type: ignore[attr-defined]
            self.processing.append((tuple(found), as_they_are))
        return self.processing[0]


def compile_select(statement: AnySelect, dialect: Dialect) -> Compiled:
    compiled = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    bind_processors = compiled._bind_processors
    return Compiled(
        sql=compiled.string,
        names=names,
        fixed=_fixed(compiled),
        binders=tuple(bind_processors.get(n) for n in names),  # type: ignore[misc]
        types=tuple(c[3] for c in compiled._result_columns),
        row=namedtuple("Row", [c[0] for c in compiled._result_columns], rename=True),
        dialect=dialect,
    )


def _fixed(compiled: Any) -> dict[str, Any]:
    params = compiled.construct_params(_check=False).items()
    return {k: v for k, v in params if k not in VIEWER_PARAMS}


class Prepared:
    """One statement of the planned path: `build(viewer)` is the loader's own
    builder; its viewer values are ignored (bound per execution)."""

    def __init__(self, build: Build) -> None:
        self._build = build
        self._compiled: dict[tuple[object, ...], Compiled] = {}

    def compiled(self, viewer: Viewer, dialect: Dialect) -> Compiled:
        key = (dialect, *visibility_shape(viewer))
        found = self._compiled.get(key)
        if found is None:
            found = compile_select(self._build(viewer), dialect)
            # The text is shared by every viewer of this shape: a builder
            # that put anything else of the viewer in it would leak it.
            other = replace(viewer, user_id=uuid.uuid4(), at=viewer.at and viewer.at + _LATER)
            again = self._build(other).compile(dialect=dialect)
            if again.string != found.sql or _fixed(again) != found.fixed:
                raise ValueError("a planned statement depends on the viewer beyond its shape")
            self._compiled[key] = found
        return found

    def arguments(self, compiled: Compiled, viewer: Viewer, params: dict[str, Any]) -> list[Any]:
        values = compiled.fixed | visibility_params(viewer) | params
        out = []
        for name, binder in zip(compiled.names, compiled.binders, strict=True):
            value = values[name]
            out.append(binder(value) if binder is not None and value is not None else value)
        return out


def rows_of(
    compiled: Compiled, description: Sequence[Sequence[Any]], records: Sequence[Sequence[Any]]
) -> list[Any]:
    """Rows whose columns read by name (`row.id`) with the values the ORM
    would hold: the driver's rows themselves when no column needs a
    processor, else named tuples of the processed values."""
    processing, as_they_are = compiled.processing_for(description)
    if as_they_are:
        return list(records)
    make = compiled.row._make  # type: ignore[attr-defined]
    out = []
    for record in records:
        values = list(record)
        for index, process in processing:
            values[index] = process(values[index])
        out.append(make(values))
    return out
