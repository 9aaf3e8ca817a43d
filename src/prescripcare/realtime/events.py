"""Reminder events on one Redis Stream per deployment.

Events are appended after the change they describe is committed. The stream
keeps at least `HISTORY` of events, so a client reconnecting with the last id
it saw (`after`) gets what it missed; entry ids increase, so they serve as the
opaque, increasing event ids of the contract. Each process reads the stream
once and fans it out (realtime/hub.py).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from redis.asyncio import Redis

from prescripcare.redis import RedisKeys

HISTORY = timedelta(hours=25)
READ_COUNT = 100


class EventKind(StrEnum):
    REMINDER_SENT = "REMINDER_SENT"
    REMINDER_FAILED = "REMINDER_FAILED"
    DOSE_TAKEN = "DOSE_TAKEN"
    DOSE_SKIPPED = "DOSE_SKIPPED"
    DOSE_SNOOZED = "DOSE_SNOOZED"
    DOSE_MISSED = "DOSE_MISSED"
    CAREGIVER_ALERT_SENT = "CAREGIVER_ALERT_SENT"
    REFILL_REMINDER_SENT = "REFILL_REMINDER_SENT"


@dataclass(frozen=True)
class Event:
    patient_id: uuid.UUID
    kind: EventKind
    at: datetime
    channel: str | None = None
    dose_id: uuid.UUID | None = None
    id: str = ""

    def fields(
        self,
    ) -> dict[
        bytes | bytearray | memoryview | str | int | float,
        bytes | bytearray | memoryview | str | int | float,
    ]:
        return {
            "patient": str(self.patient_id),
            "kind": self.kind.value,
            "at": self.at.astimezone(UTC).isoformat(),
            "channel": self.channel or "",
            "dose": str(self.dose_id) if self.dose_id else "",
        }

    @classmethod
    def parse(cls, entry_id: str, fields: dict[str, str]) -> Event:
        return cls(
            id=entry_id,
            patient_id=uuid.UUID(fields["patient"]),
            kind=EventKind(fields["kind"]),
            at=datetime.fromisoformat(fields["at"]),
            channel=fields.get("channel") or None,
            dose_id=uuid.UUID(fields["dose"]) if fields.get("dose") else None,
        )


def stream_key(keys: RedisKeys) -> str:
    return keys.key("reminder-events")


async def publish(redis: Redis, keys: RedisKeys, events: list[Event]) -> None:
    """Appends events (call after the commit that made them true)."""
    if not events:
        return
    oldest = int((time.time() - HISTORY.total_seconds()) * 1000)
    async with redis.pipeline(transaction=False) as pipe:
        for event in events:
            pipe.xadd(stream_key(keys), event.fields(), minid=oldest, approximate=True)
        await pipe.execute()


def position_at(unix_ms: int) -> str:
    """The stream position just before `unix_ms`: reading after it gives
    every event appended from that instant on (entry ids are the Redis
    server's clock in ms, so hosts are assumed NTP-synchronised)."""
    return f"{unix_ms - 1}-{2**64 - 1}"


def valid_event_id(value: str) -> bool:
    head, _, tail = value.partition("-")
    return head.isdigit() and tail.isdigit() and len(value) <= 40
