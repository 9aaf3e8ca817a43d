"""The erasure ledger, read and re-applied: what keeps an erased patient
erased when a backup older than the erasure is restored.

Works on a session or a bare connection (restore runs without the ORM and
without the encryption keys: the ledger and the deletes touch identifiers
only). `restore_hook` is what `prescripcare restore` runs: it reads the
ledger of the database about to be overwritten, then erases every patient it
names from the restored one and puts the entries back.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from prescripcare.auth.models import User
from prescripcare.patients.models import Patient
from prescripcare.privacy.models import ErasureLedgerEntry

log = logging.getLogger("prescripcare.privacy")
LEDGER = ErasureLedgerEntry.__table__  # type: ignore[attr-defined]
PATIENTS = Patient.__table__  # type: ignore[attr-defined]
USERS = User.__table__  # type: ignore[attr-defined]

Executor = AsyncSession | AsyncConnection


@dataclass(frozen=True)
class LedgerEntry:
    patient_id: uuid.UUID
    user_id: uuid.UUID | None
    erased_by: uuid.UUID | None
    erased_at: datetime
    removed: dict[str, int]


async def ledger(db: Executor) -> list[LedgerEntry]:
    result = await db.execute(
        select(
            LEDGER.c.patient_id,
            LEDGER.c.user_id,
            LEDGER.c.erased_by,
            LEDGER.c.erased_at,
            LEDGER.c.removed,
        ).order_by(LEDGER.c.erased_at)
    )
    return [LedgerEntry(*row[:4], dict(row[4])) for row in result]


async def reapply_erasures(db: Executor, entries: Iterable[LedgerEntry]) -> int:
    """Erase again every patient the entries name, and keep the entries
    themselves (a backup older than an erasure lacks them). Answers how many
    patients had come back. Idempotent."""
    again = 0
    for entry in entries:
        result = await db.execute(
            delete(PATIENTS).where(PATIENTS.c.id == entry.patient_id).returning(PATIENTS.c.id)
        )
        again += len(result.all())
        if entry.user_id is not None:
            await db.execute(delete(USERS).where(USERS.c.id == entry.user_id))
        await db.execute(
            insert(LEDGER)
            .values(
                id=uuid.uuid4(),
                patient_id=entry.patient_id,
                user_id=entry.user_id,
                erased_by=entry.erased_by,
                erased_at=entry.erased_at,
                removed=entry.removed,
            )
            .on_conflict_do_nothing(index_elements=["patient_id"])
        )
    return again


class _LedgerRestoreHook:
    name = "erasure ledger"

    async def capture(self, live: AsyncConnection) -> list[LedgerEntry]:
        # A database from before the ledger existed has nothing to keep.
        if await live.scalar(text("SELECT to_regclass('erasure_ledger')")) is None:
            return []
        return await ledger(live)

    async def apply(self, restored: AsyncConnection, captured: Any) -> None:
        entries: list[LedgerEntry] = list(captured or [])
        again = await reapply_erasures(restored, entries)
        log.info(
            "erasure ledger: %d entries re-applied, %d erased patients had come back",
            len(entries),
            again,
        )


restore_hook = _LedgerRestoreHook()
