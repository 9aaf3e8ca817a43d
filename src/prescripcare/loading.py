"""The base of every `<Thing>By<Key>Loader`: one batch, one short session,
one SQL statement, filtered for the viewer in SQL."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeAlias, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import ARRAY, BindParameter, ColumnElement, Select, String, Uuid, any_, bindparam
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.auth.viewer import Viewer
from prescripcare.db import SessionFactory, reading

# A SELECT of any columns, as the statement builders return them.
AnySelect: TypeAlias = Select[*tuple[Any, ...]]

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class SessionLoader(DataLoader[K, V], Generic[K, V]):
    def __init__(self, sessions: SessionFactory, viewer: Viewer | None) -> None:
        super().__init__()
        self.sessions = sessions
        self.viewer = viewer

    def load(self, key: K) -> asyncio.Future[V]:
        # graphql-core cancels the sibling fields of a field that failed; a
        # cached future they were waiting on is shared with every other field
        # loading the same key, and cancelling it would make their awaits
        # raise CancelledError and fail the whole request. Each caller gets
        # its own shield around the shared future.
        return asyncio.shield(super().load(key))

    async def batch_load_fn(self, keys: list[K]) -> list[V]:
        async with reading(self.sessions) as session:
            return await self.load_batch(session, keys)

    async def load_batch(self, session: AsyncSession, keys: list[K]) -> list[V]:
        raise NotImplementedError


def one_per_key(
    keys: Sequence[K], rows: Iterable[T], key: Callable[[T], K | None]
) -> list[T | None]:
    found = {key(row): row for row in rows}
    return [found.get(k) for k in keys]


def many_per_key(
    keys: Sequence[K], rows: Iterable[T], key: Callable[[T], K | None]
) -> list[list[T]]:
    grouped: defaultdict[K, list[T]] = defaultdict(list)
    for row in rows:
        found = key(row)
        if found is not None:
            grouped[found].append(row)
    return [grouped.get(k, []) for k in keys]


def any_of(name: str, item: type) -> ColumnElement[Any]:
    """`= ANY(:name)` against an array parameter: unlike an expanding IN,
    the statement's text is the same for any number of keys, so it can be
    compiled and prepared once (plans/statements.py)."""
    element = Uuid() if item is uuid.UUID else String()
    parameter: BindParameter[Any] = bindparam(name, type_=ARRAY(element))
    return any_(parameter)
