"""Writing catalog rows idempotently: a row that is already there unchanged
stays untouched (so re-importing a release changes nothing)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, or_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

# Each statement carries at most this many rows (PostgreSQL allows 32,767
# bind parameters per statement).
CHUNK = 2000


@dataclass(frozen=True)
class Origin:
    """Provenance stamped on every row a load writes."""

    source: str
    version: str
    licence: str
    at: datetime

    def stamp(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            **row,
            "source": self.source,
            "source_version": self.version,
            "licence": self.licence,
            "imported_at": self.at,
        }


def table_of(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


async def upsert(
    session: AsyncSession,
    model: type[SQLModel],
    rows: Iterable[dict[str, Any]],
    key: Sequence[str],
    *,
    compare: Sequence[str] | None = None,
) -> int:
    """Inserts new rows and updates changed ones; answers rows written.

    Provenance columns are rewritten only with a change in `compare` (default:
    every non-key column except provenance), so loading the same content twice
    leaves the table exactly as it was.
    """
    table = table_of(model)
    provenance = {"source", "source_version", "licence", "imported_at"}
    written = 0
    batch: list[dict[str, Any]] = []

    async def flush() -> None:
        nonlocal written
        if not batch:
            return
        # The last occurrence of a key in one batch wins.
        unique = list({tuple(r[k] for k in key): r for r in batch}.values())
        # A surrogate id, once given, never changes.
        columns = [c for c in unique[0] if c not in key and c != "id"]
        watched = (
            list(compare) if compare is not None else [c for c in columns if c not in provenance]
        )
        statement = insert(table).values(unique)
        if columns:
            excluded = statement.excluded
            statement = statement.on_conflict_do_update(
                index_elements=list(key),
                set_={c: excluded[c] for c in columns},
                where=or_(*(table.c[c].is_distinct_from(excluded[c]) for c in watched))
                if watched
                else None,
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=list(key))
        result = await session.execute(statement)
        written += int(getattr(result, "rowcount", 0) or 0)
        batch.clear()

    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            await flush()
    await flush()
    return written
