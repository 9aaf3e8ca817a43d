"""Checking the hash chain: recomputes every entry's hash from its fields and
its predecessor's hash, exactly as the insert trigger (migration 0010) did.

An entry altered with the triggers disabled no longer matches its hash; one
deleted leaves a gap in the sequence; a cut-off tail disagrees with the chain
head. The first problem found is reported.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.audit.models import GENESIS_HASH, AuditChainHead, AuditEntry

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BATCH = 5000


def _field(value: object) -> str:
    if value is None:
        return "N"
    text = str(value)
    return f"S{len(text.encode())}:{text}"


def entry_hash(prev_hash: bytes, entry: AuditEntry) -> bytes:
    micros = (entry.at - EPOCH) // timedelta(microseconds=1)
    fields = (
        entry.seq,
        micros,
        entry.actor_id,
        entry.actor_role,
        entry.action,
        entry.entity,
        entry.entity_id,
        entry.patient_id,
        entry.request_id,
        entry.ip,
        entry.break_glass_grant_id,
    )
    encoded = "".join(_field(f) for f in fields).encode()
    return hashlib.sha256(prev_hash + encoded).digest()


@dataclass
class Verdict:
    checked: int
    broken_at: int | None = None  # the first entry's seq that fails
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


async def verify_chain(session: AsyncSession) -> Verdict:
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    last_seq = 0
    while True:
        batch = list(
            await session.scalars(
                select(AuditEntry)
                .where(col(AuditEntry.seq) > last_seq)
                .order_by(col(AuditEntry.seq))
                .limit(BATCH)
            )
        )
        for entry in batch:
            assert entry.seq is not None and entry.hash is not None
            if entry.seq != expected_seq:
                return Verdict(checked, expected_seq, f"entry {expected_seq} is missing")
            if entry.prev_hash != expected_prev:
                return Verdict(
                    checked, entry.seq, f"entry {entry.seq} does not follow its predecessor"
                )
            if entry_hash(expected_prev, entry) != entry.hash:
                return Verdict(checked, entry.seq, f"entry {entry.seq} was altered")
            expected_prev, expected_seq, last_seq = entry.hash, entry.seq + 1, entry.seq
            checked += 1
        session.expunge_all()
        if len(batch) < BATCH:
            break
    head = await session.get(AuditChainHead, 1)
    if head is None or head.seq != last_seq:
        return Verdict(checked, last_seq + 1, f"entries after {last_seq} are missing")
    if head.hash != expected_prev:
        return Verdict(checked, last_seq, "the chain head does not match the last entry")
    return Verdict(checked)
