"""Sending a claimed batch: each reminder at its due second, many in flight
at once, at each provider's pace, answers recorded in batches.

`send_ready` (service.py) claims and renders a batch, possibly before its
reminders fall due; `dispatch` then waits for each due instant, checks once
more that the doses still want a reminder, and hands the messages to
`concurrency` senders. A sender takes its provider's turn (notifications/
pace.py) and sends only while its claim has time left: a claim about to
expire goes back to the queue unsent, because another worker may take it
once it has expired. `Recorder` writes the answers, a batch at a time and
only for claims still held (the claim's expiry instant is its fence), and
counts and announces only what it wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from prescripcare.db import SessionFactory, transaction
from prescripcare.notifications.message import (
    Channel,
    Message,
    PermanentSendError,
    TransientSendError,
)
from prescripcare.notifications.pace import SendPace
from prescripcare.reminders.models import ReminderState

log = logging.getLogger("prescripcare.reminders")
Clock = Callable[[], datetime]
# Reminders due within this of each other are released to the senders
# together (one re-check of their doses), none more than this early.
TOGETHER = timedelta(milliseconds=50)


@dataclass
class Pending:
    """A claimed reminder whose message is rendered and waits for its turn."""

    row: Any  # its _DETAILS row
    message: Message
    send_at: datetime
    lease_end: datetime


@dataclass
class Outcome:
    row: Any
    lease_end: datetime
    status: str
    message_id: str | None = None
    error: str | None = None
    sent_at: datetime | None = None
    next_at: datetime | None = None


_FINISH = text("""
UPDATE reminders r SET status = o.status, provider_message_id = o.message_id,
                       last_error = o.error, sent_at = o.sent_at,
                       next_attempt_at = coalesce(o.next_at, r.next_attempt_at),
                       claimed_until = NULL, updated_at = :now
FROM unnest(CAST(:ids AS uuid[]), CAST(:statuses AS text[]), CAST(:message_ids AS text[]),
            CAST(:errors AS text[]), CAST(:sent_ats AS timestamptz[]),
            CAST(:next_ats AS timestamptz[]), CAST(:leases AS timestamptz[]))
     AS o(id, status, message_id, error, sent_at, next_at, lease)
WHERE r.id = o.id AND r.status = 'SENDING' AND r.claimed_until = o.lease
RETURNING r.id
""")

_RELEASE = text("""
UPDATE reminders r SET status = 'QUEUED', claimed_until = NULL, attempts = r.attempts - 1,
                       updated_at = :now
FROM unnest(CAST(:ids AS uuid[]), CAST(:leases AS timestamptz[])) AS o(id, lease)
WHERE r.id = o.id AND r.status = 'SENDING' AND r.claimed_until = o.lease
""")

# A dose recorded, or snoozed past this reminder's instant, since the batch
# was claimed needs no reminder now.
_OBSOLETE = text("""
SELECT r.id FROM reminders r JOIN doses d ON d.id = r.dose_id
WHERE r.id = ANY(:ids) AND r.kind = 'medication_reminder'
  AND (d.status <> 'SCHEDULED' OR (d.snoozed_until IS NOT NULL AND d.snoozed_until > r.due_at))
""")


class Recorder:
    """Buffers outcomes and writes them in one statement per flush."""

    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        written: Callable[[Outcome], None],
        every: int = 200,
        after: float = 0.05,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.written = written
        self.every = every
        self.after = after
        self._outcomes: list[Outcome] = []
        self._releases: list[Pending] = []
        self._full = asyncio.Event()
        self._stopping = False

    def finish(self, outcome: Outcome) -> None:
        self._outcomes.append(outcome)
        if len(self._outcomes) >= self.every:
            self._full.set()

    def release(self, pending: Sequence[Pending]) -> None:
        self._releases.extend(pending)

    async def run(self) -> None:
        """Flushes every `after` seconds or `every` outcomes until `stop`.
        Never cancelled: a flush cut short would lose the answers it holds."""
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), self.after)
            self._full.clear()
            await self.flush()

    def stop(self) -> None:
        self._stopping = True
        self._full.set()

    async def flush(self) -> None:
        outcomes, self._outcomes = self._outcomes, []
        releases, self._releases = self._releases, []
        if not outcomes and not releases:
            return
        now = self.clock()
        async with transaction(self.sessions) as session:
            written: set[uuid.UUID] = set()
            if outcomes:
                rows = await session.execute(
                    _FINISH,
                    {
                        "now": now,
                        "ids": [o.row.id for o in outcomes],
                        "statuses": [o.status for o in outcomes],
                        "message_ids": [o.message_id for o in outcomes],
                        "errors": [o.error for o in outcomes],
                        "sent_ats": [o.sent_at for o in outcomes],
                        "next_ats": [o.next_at for o in outcomes],
                        "leases": [o.lease_end for o in outcomes],
                    },
                )
                written = {row[0] for row in rows}
            if releases:
                await session.execute(
                    _RELEASE,
                    {
                        "now": now,
                        "ids": [p.row.id for p in releases],
                        "leases": [p.lease_end for p in releases],
                    },
                )
        for outcome in outcomes:
            if outcome.row.id in written:
                self.written(outcome)


@dataclass
class Dispatch:
    channels: Mapping[str, Channel]
    clock: Clock
    recorder: Recorder
    sessions: SessionFactory
    attempt: Callable[[Pending, Exception | None, str | None, datetime], Outcome]
    pace: SendPace | None = None
    concurrency: int = 1
    # A send starts only with this much of its claim left (a provider call
    # may take up to notifications.http.TIMEOUT_SECONDS).
    margin: timedelta = timedelta(seconds=11)
    started: set[uuid.UUID] = field(default_factory=set)

    async def run(self, pending: list[Pending]) -> None:
        """Sends `pending` (in due order). Cancelled, it hands back the
        claims not yet tried; a send in flight keeps its claim (the
        provider may have accepted it) and its lease decides."""
        queue: asyncio.Queue[Pending | None] = asyncio.Queue()
        senders = [asyncio.create_task(self._sender(queue)) for _ in range(self.concurrency)]
        try:
            index = 0
            while index < len(pending):
                ahead = (pending[index].send_at - self.clock()).total_seconds()
                if ahead > TOGETHER.total_seconds():
                    await asyncio.sleep(ahead)
                edge = self.clock() + TOGETHER
                group = []
                while index < len(pending) and pending[index].send_at <= edge:
                    group.append(pending[index])
                    index += 1
                if not group:  # a clock that did not move (tests): send them now
                    group, index = pending[index:], len(pending)
                obsolete = await self._obsolete(group)
                for item in group:
                    if item.row.id in obsolete:
                        self.started.add(item.row.id)
                        self.recorder.finish(
                            Outcome(item.row, item.lease_end, ReminderState.CANCELLED.value)
                        )
                    else:
                        queue.put_nowait(item)
            for _ in senders:
                queue.put_nowait(None)
            await asyncio.gather(*senders)
        except asyncio.CancelledError:
            for task in senders:
                task.cancel()
            await asyncio.gather(*senders, return_exceptions=True)
            self.recorder.release([p for p in pending if p.row.id not in self.started])
            raise

    async def _obsolete(self, group: list[Pending]) -> set[uuid.UUID]:
        async with self.sessions() as session:
            rows = await session.execute(_OBSOLETE, {"ids": [p.row.id for p in group]})
            return {row[0] for row in rows}

    async def _sender(self, queue: asyncio.Queue[Pending | None]) -> None:
        while (item := await queue.get()) is not None:
            channel = self.channels[item.message.channel]
            if self.pace is not None:
                await self.pace.wait_turn(item.message.channel)
            if item.lease_end - self.clock() < self.margin:
                self.recorder.release([item])
                self.started.add(item.row.id)  # released already
                continue
            self.started.add(item.row.id)
            try:
                provider_id = await channel.send(item.message)
            except (PermanentSendError, TransientSendError) as error:
                self.recorder.finish(self.attempt(item, error, None, self.clock()))
                continue
            except Exception as error:
                # A fault of ours, not the provider's answer: reported, and
                # the reminder retried like after a timeout, not left claimed.
                log.exception("sending reminder %s failed unexpectedly", item.row.id)
                unexpected = TransientSendError(f"unexpected {type(error).__name__}")
                self.recorder.finish(self.attempt(item, unexpected, None, self.clock()))
                continue
            self.recorder.finish(self.attempt(item, None, provider_id, self.clock()))
