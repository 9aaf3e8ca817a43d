"""Recording finished backups and reading how fresh the newest one is.

A restore brings back the history as it was when the restored backup was
taken, which would forget that backup itself and every later one; the
restore hook here keeps the live history instead, as the erasure ledger's
hook keeps erasures.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from prescripcare.backup import hooks
from prescripcare.backup.models import BackupRun

RUNS = BackupRun.__table__  # type: ignore[attr-defined]
COLUMNS = ("id", "kind", "taken_at", "location", "size_bytes")


async def record_success(
    conn: AsyncConnection, kind: str, taken_at: datetime, location: str, size_bytes: int
) -> None:
    await conn.execute(
        insert(RUNS).values(
            id=uuid.uuid4(),
            kind=kind,
            taken_at=taken_at,
            location=location,
            size_bytes=size_bytes,
        )
    )


async def last_successes(conn: AsyncConnection) -> dict[str, datetime]:
    """The newest finished backup of each kind."""
    rows = await conn.execute(select(RUNS.c.kind, func.max(RUNS.c.taken_at)).group_by(RUNS.c.kind))
    return {kind: at for kind, at in rows}


@dataclass(frozen=True)
class WalArchiving:
    """`pg_stat_archiver`: when WAL was last archived (for point-in-time
    recovery) and when archiving last failed; None when it never did."""

    last_archived: datetime | None
    last_failed: datetime | None


async def wal_archiving(conn: AsyncConnection) -> WalArchiving:
    row = (
        await conn.execute(
            text("SELECT last_archived_time, last_failed_time FROM pg_stat_archiver")
        )
    ).one()
    return WalArchiving(row[0], row[1])


class _HistoryRestoreHook:
    name = "backup history"

    async def capture(self, live: AsyncConnection) -> list[dict[str, Any]]:
        if await live.scalar(text("SELECT to_regclass('backup_runs')")) is None:
            return []
        rows = await live.execute(select(*(RUNS.c[name] for name in COLUMNS)))
        return [dict(row._mapping) for row in rows]

    async def apply(self, restored: AsyncConnection, captured: Any) -> None:
        # A backup from before this table existed: nothing to put back into.
        if not captured or await restored.scalar(text("SELECT to_regclass('backup_runs')")) is None:
            return
        await restored.execute(RUNS.delete())
        await restored.execute(insert(RUNS), list(captured))


restore_hook = _HistoryRestoreHook()
hooks.register(restore_hook)
