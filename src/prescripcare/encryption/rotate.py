"""`prescripcare rotate-key`: every encrypted value re-sealed under the
current key, a batch per transaction.

Safe to stop and start again: a run only picks values whose envelope names
another key, so a second run finds nothing to do. A value the application
rewrites meanwhile is already under the current key; the compare-and-set
update leaves it alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from prescripcare.db import metadata
from prescripcare.encryption.columns import EncryptedDate, EncryptedText
from prescripcare.encryption.envelope import UnknownKeyError, open_sealed, seal
from prescripcare.encryption.keys import KEY_ID_BYTES, Keyring


class RotationRefused(Exception):
    """Rotation would lose data or lookups; nothing was changed."""


@dataclass(frozen=True)
class EncryptedColumn:
    table: str
    column: str
    key: str = "id"  # the row's single uuid primary key column

    @property
    def where(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass
class RotationReport:
    # "table.column" -> values re-encrypted by this run
    rotated: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rotated.values())


def encrypted_columns() -> list[EncryptedColumn]:
    """Every encrypted column the models declare, so a new one is rotated
    without anyone remembering to list it here."""
    import prescripcare.models  # noqa: F401 - registers every table

    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText | EncryptedDate):
                [key] = table.primary_key.columns  # batches walk one uuid key
                found.append(EncryptedColumn(table.name, column.name, key.name))
    return found


def _key_id_sql(column: sa.ColumnClause[bytes]) -> sa.ColumnElement[bytes]:
    return sa.func.substring(column, 2, KEY_ID_BYTES)


async def _check_keys(
    engine: AsyncEngine, keyring: Keyring, columns: list[EncryptedColumn]
) -> None:
    async with engine.connect() as conn:
        for c in columns:
            value = sa.column(c.column, sa.LargeBinary)
            found = await conn.scalars(
                sa.select(_key_id_sql(value))
                .distinct()
                .select_from(sa.table(c.table, value))
                .where(value.is_not(None))
            )
            for raw in found:
                if not keyring.knows(bytes(raw)):
                    raise RotationRefused(str(UnknownKeyError(bytes(raw), c.where)))


async def rotate(
    engine: AsyncEngine,
    keyring: Keyring,
    *,
    batch_size: int = 500,
    progress: Callable[[str, int], None] | None = None,
) -> RotationReport:
    if not keyring.blind_index_key_explicit:
        raise RotationRefused(
            "BLIND_INDEX_KEY is not set: the blind index behind e-mail lookups is derived from "
            "ENCRYPTION_KEY and would change with it, and logins would fail. Set BLIND_INDEX_KEY "
            "to the key the stored lookups were made with (`prescripcare blind-index-key`, run "
            "with the ENCRYPTION_KEY from before the rotation, prints it) and run again."
        )
    columns = encrypted_columns()
    # Refuse before changing anything, not half-way through.
    await _check_keys(engine, keyring, columns)
    report = RotationReport()
    for c in columns:
        report.rotated[c.where] = await _rotate_column(engine, keyring, c, batch_size, progress)
    return report


async def _rotate_column(
    engine: AsyncEngine,
    keyring: Keyring,
    c: EncryptedColumn,
    batch_size: int,
    progress: Callable[[str, int], None] | None,
) -> int:
    row_id = sa.column(c.key, sa.Uuid)
    value = sa.column(c.column, sa.LargeBinary)
    pick = (
        sa.select(row_id, value)
        .select_from(sa.table(c.table, row_id, value))
        .where(value.is_not(None), _key_id_sql(value) != keyring.current.id)
        .order_by(row_id)
        .limit(batch_size)
    )
    # Compare-and-set: a value rewritten since it was read is left as it is.
    # Names come from the models' metadata; values are bound.
    sql = (
        f'UPDATE "{c.table}" AS t SET "{c.column}" = v.new '  # noqa: S608
        "FROM unnest(CAST(:ids AS uuid[]), CAST(:olds AS bytea[]), CAST(:news AS bytea[])) "
        f'AS v(id, old, new) WHERE t."{c.key}" = v.id AND t."{c.column}" = v.old '
        f'RETURNING t."{c.key}"'
    )
    store = sa.text(sql)
    done = 0
    after: object = None
    while True:
        async with engine.begin() as conn:
            query = pick if after is None else pick.where(row_id > after)
            rows = list(await conn.execute(query))
            if not rows:
                return done
            ids, olds, news = [], [], []
            for rid, blob in rows:
                old = bytes(blob)
                ids.append(rid)
                olds.append(old)
                news.append(seal(keyring, open_sealed(keyring, old, c.where), c.where))
            stored = await conn.execute(store, {"ids": ids, "olds": olds, "news": news})
            done += len(stored.all())
        after = rows[-1][0]
        if progress is not None:
            progress(c.where, done)
