"""Queueing and sending dose reminders through the outbox.

`queue_due` writes the decision to send (dose, channel, due instant) as an
outbox row, with a unique key, in its own transaction: nothing is called yet.
`send_ready` claims rows with FOR UPDATE SKIP LOCKED (so several workers never
take the same row), commits the claim, calls the provider, and records the
answer. A worker killed after claiming leaves a claim that expires and is
taken again; a send repeats only if the worker died after the provider
accepted it and before that was recorded (answers are written in batches a
few tens of milliseconds apart, reminders/dispatch.py).

With a `lead`, both happen ahead of time: a dose is queued, and its reminder
claimed and rendered, up to `lead` before it falls due, and the send waits
for the due second.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.db import SessionFactory, transaction
from prescripcare.doses.models import DoseStatus
from prescripcare.doses.schedule import local_instant
from prescripcare.doses.window import open_since
from prescripcare.encryption.columns import EncryptedText
from prescripcare.i18n.translator import speak
from prescripcare.notifications.http import TIMEOUT_SECONDS
from prescripcare.notifications.message import (
    Channel,
    Message,
    PermanentSendError,
)
from prescripcare.notifications.pace import SendPace
from prescripcare.observability.metrics import NOTIFICATIONS, REMINDER_LATENESS
from prescripcare.patients.models import ReminderChannel
from prescripcare.realtime.events import Event, EventKind
from prescripcare.reminders.dispatch import Dispatch, Outcome, Pending, Recorder
from prescripcare.reminders.models import Reminder, ReminderKind, ReminderState
from prescripcare.reminders.texts import reminder_text


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=2)
    # Whether medication reminders may name the drug (off: PHI on lock screens).
    drug_names: bool = False
    # The language of patients who chose none (DEFAULT_LANGUAGE).
    language: str = "en"

    def backoff(self, attempts: int) -> timedelta:
        """Exponential with jitter: about base * 2^(n-1), at most cap."""
        ceiling = min(self.cap, self.base * (1 << min(max(0, attempts - 1), 20)))
        return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not secrecy


# Follow-ups (the reminder after a snooze) wait for the end of quiet hours;
# the first reminder of a dose the patient scheduled then is still sent.
_QUEUE = text("""
INSERT INTO reminders (id, kind, dose_id, dose_scheduled_at, patient_id, channel, due_at,
                       status, attempts, next_attempt_at, created_at, updated_at)
SELECT gen_random_uuid(), 'medication_reminder', d.id, d.scheduled_at, d.patient_id,
       ch.channel, due.at, 'QUEUED', 0, greatest(due.at, :now), :now, :now
FROM doses d
JOIN patients p ON p.id = d.patient_id
JOIN prescriptions rx ON rx.id = d.prescription_id
CROSS JOIN LATERAL (SELECT greatest(d.scheduled_at, coalesce(d.snoozed_until,
                                                              d.scheduled_at)) AS at) due
CROSS JOIN LATERAL unnest(p.reminder_channels) AS ch(channel)
WHERE d.status = 'SCHEDULED' AND rx.status = 'ACTIVE'
  -- No dose is open longer than this (doses/window.py): the scan reads only
  -- the current months' partitions.
  AND d.scheduled_at > :open_since AND d.scheduled_at <= :horizon
  AND due.at <= :horizon AND due.at > :oldest
  AND ch.channel = ANY(CAST(:channels AS text[]))
  AND NOT (
      d.snoozed_until IS NOT NULL AND p.quiet_start IS NOT NULL AND CASE
          WHEN p.quiet_start < p.quiet_end
          THEN CAST(timezone(p.timezone, CAST(:now AS timestamptz)) AS time) >= p.quiet_start
           AND CAST(timezone(p.timezone, CAST(:now AS timestamptz)) AS time) < p.quiet_end
          ELSE CAST(timezone(p.timezone, CAST(:now AS timestamptz)) AS time) >= p.quiet_start
            OR CAST(timezone(p.timezone, CAST(:now AS timestamptz)) AS time) < p.quiet_end
      END
  )
ON CONFLICT (dose_id, channel, due_at, recipient) DO NOTHING
""")

_CAREGIVERS = text("""
SELECT d.id AS dose_id, d.patient_id, d.scheduled_at, l.caregiver_id, p.timezone,
       p.quiet_start, p.quiet_end
FROM doses d
JOIN patients p ON p.id = d.patient_id
JOIN caregiver_links l ON l.patient_id = d.patient_id
JOIN users u ON u.id = l.caregiver_id AND u.disabled_at IS NULL
WHERE d.id = ANY(:doses)
""")

# A claim lasts `lease` past the later of now and the reminder's due instant;
# that instant is also the claim's fence (dispatch.py writes an answer only
# while it is unchanged).
_CLAIM = text("""
UPDATE reminders SET status = 'SENDING',
                     claimed_until = greatest(next_attempt_at, :now) + CAST(:lease AS interval),
                     attempts = attempts + 1, updated_at = :now
WHERE id IN (
    SELECT id FROM reminders
    WHERE (status = 'QUEUED' AND next_attempt_at <= :horizon)
       OR (status = 'SENDING' AND claimed_until < :now)
    ORDER BY next_attempt_at
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
)
RETURNING id, greatest(next_attempt_at, :now) AS send_at, claimed_until
""")

_DETAILS = text("""
SELECT r.id, r.kind, r.channel, r.attempts, r.due_at, r.patient_id, r.dose_id,
       d.status AS dose_status, d.scheduled_at, p.phone, p.email AS patient_email,
       u.email AS user_email, p.timezone, p.language,
       c.name AS drug_name
FROM reminders r
JOIN patients p ON p.id = r.patient_id
LEFT JOIN doses d ON d.id = r.dose_id
LEFT JOIN prescriptions rx ON rx.id = d.prescription_id
LEFT JOIN drug_concepts c ON c.rxcui = rx.rxcui
LEFT JOIN users u ON r.recipient <> 'patient' AND CAST(u.id AS text) = r.recipient
WHERE r.id = ANY(:ids)
""").columns(
    # Decrypted on the way out, like the ORM columns they are.
    phone=EncryptedText("patients.phone"),
    patient_email=EncryptedText("patients.email"),
    user_email=EncryptedText("users.email"),
)


async def queue_due(
    session: AsyncSession,
    now: datetime,
    grace: timedelta,
    channels: list[str],
    lead: timedelta = timedelta(0),
) -> int:
    """Outbox rows for every untaken dose due by `now + lead` on each of its
    patient's enabled channels; answers how many were queued."""
    result = await session.execute(
        _QUEUE,
        {
            "now": now,
            "horizon": now + lead,
            "oldest": now - grace,
            "open_since": open_since(now),
            "channels": channels,
        },
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _in_quiet_hours(local: time, start: time | None, end: time | None) -> bool:
    if start is None or end is None:
        return False
    return start <= local < end if start < end else local >= start or local < end


def quiet_end(now: datetime, timezone: str, start: time | None, end: time | None) -> datetime:
    """Now, or the end of the patient's quiet hours when now falls inside them."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    if not _in_quiet_hours(local.time(), start, end):
        return now
    assert end is not None
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return local_instant(day, end, zone)


async def queue_caregiver_alerts(
    session: AsyncSession, missed: list[tuple[uuid.UUID, uuid.UUID]], now: datetime
) -> int:
    """In the transaction that marks the doses MISSED: an e-mail alert to each
    linked caregiver, once per dose, held until the patient's quiet hours end."""
    if not missed:
        return 0
    rows = await session.execute(_CAREGIVERS, {"doses": [dose for dose, _ in missed]})
    values = [
        {
            "id": uuid.uuid4(),
            "kind": ReminderKind.CAREGIVER.value,
            "dose_id": row.dose_id,
            "dose_scheduled_at": row.scheduled_at,
            "patient_id": row.patient_id,
            "channel": ReminderChannel.EMAIL.value,
            "recipient": str(row.caregiver_id),
            "due_at": row.scheduled_at,
            "status": ReminderState.QUEUED.value,
            "attempts": 0,
            "next_attempt_at": quiet_end(now, row.timezone, row.quiet_start, row.quiet_end),
            "created_at": now,
            "updated_at": now,
        }
        for row in rows
    ]
    if not values:
        return 0
    result = await session.execute(
        insert(Reminder)
        .values(values)
        .on_conflict_do_nothing(index_elements=["dose_id", "channel", "due_at", "recipient"])
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    # To publish once committed: REMINDER_SENT and REMINDER_FAILED.
    events: list[Event] = field(default_factory=list)


async def send_ready(
    sessions: SessionFactory,
    channels: Mapping[str, Channel],
    now: datetime,
    policy: RetryPolicy,
    deep_link: str,
    batch: int = 100,
    *,
    lead: timedelta = timedelta(0),
    clock: Callable[[], datetime] | None = None,
    pace: SendPace | None = None,
    concurrency: int = 1,
) -> SendReport:
    """Claims up to `batch` reminders ready by `now + lead` and sends each at
    its due instant (on `clock`; without one, time stands at `now`), up to
    `concurrency` at once, at each provider's `pace`."""
    clock = clock or (lambda: now)
    report = SendReport()
    async with transaction(sessions) as session:
        claimed = {
            row.id: row
            for row in await session.execute(
                _CLAIM,
                {"now": now, "horizon": now + lead, "lease": policy.lease, "batch": batch},
            )
        }
    if not claimed:
        return report
    async with sessions() as session:
        details = list(await session.execute(_DETAILS, {"ids": list(claimed)}))

    def written(outcome: Outcome) -> None:
        _report(report, outcome)

    recorder = Recorder(sessions, clock, written)
    pending: list[Pending] = []
    for row in details:
        claim = claimed[row.id]
        prepared = _prepare(row, channels, policy, deep_link)
        if isinstance(prepared, Message):
            pending.append(Pending(row, prepared, claim.send_at, claim.claimed_until))
        else:
            recorder.finish(Outcome(row, claim.claimed_until, *prepared, next_at=now))
    pending.sort(key=lambda p: p.send_at)

    def attempt(item: Pending, error: Exception | None, sent: str | None, at: datetime) -> Outcome:
        return _outcome(item, error, sent, at, policy)

    dispatch = Dispatch(
        channels,
        clock,
        recorder,
        sessions,
        attempt,
        pace,
        concurrency,
        margin=min(timedelta(seconds=TIMEOUT_SECONDS + 1), policy.lease / 4),
    )
    flushing = asyncio.create_task(recorder.run())
    try:
        await dispatch.run(pending)
    finally:
        # Cancelled too: what the provider accepted is written before the
        # worker goes, so it is not sent again when the claims expire.
        recorder.stop()
        await asyncio.gather(flushing, return_exceptions=True)
        await recorder.flush()
    return report


def _report(report: SendReport, outcome: Outcome) -> None:
    row, state = outcome.row, outcome.status
    _count(row, state, outcome.sent_at)
    if state in (ReminderState.SENT, ReminderState.FAILED):
        report.events.append(
            Event(
                patient_id=row.patient_id,
                dose_id=row.dose_id,
                channel=row.channel,
                at=outcome.sent_at or outcome.next_at or row.due_at,
                kind=_event_kind(row.kind, state == ReminderState.SENT),
            )
        )
    if state == ReminderState.SENT:
        report.sent += 1
    elif state == ReminderState.QUEUED:
        report.retried += 1
    elif state == ReminderState.CANCELLED:
        report.cancelled += 1
    else:
        report.failed += 1


def _count(row: Any, state: str, sent_at: datetime | None) -> None:
    """The send's outcome for monitoring: a page fires on failed medication
    reminders, and lateness shows a backlog before patients notice it."""
    # A send put back in the queue is a retry; the other states name themselves.
    outcome = "retried" if state == ReminderState.QUEUED.value else state.lower()
    NOTIFICATIONS.labels(row.channel, outcome, row.kind).inc()
    if state == ReminderState.SENT.value and row.due_at is not None and sent_at is not None:
        lateness = max(0.0, (sent_at - row.due_at).total_seconds())
        REMINDER_LATENESS.labels(row.channel, row.kind).observe(lateness)


def count_undelivered(channel: str, kind: str) -> None:
    """A message the provider accepted (counted `sent` then) and later
    reported it could not deliver (Twilio's `failed`/`undelivered`): a failed
    reminder all the same, on the counter the reminder-failure alert reads."""
    NOTIFICATIONS.labels(channel, ReminderState.FAILED.value.lower(), kind).inc()


def unconfigured(channel: str) -> str:
    """The error of a reminder on a channel no provider is configured for (a
    production deployment without that provider's credentials): the reminder
    fails and is counted, so the alert sees it, instead of never existing."""
    return f"no {channel} provider configured"


def _event_kind(kind: str, sent: bool) -> EventKind:
    if kind == ReminderKind.REFILL.value:
        return EventKind.REFILL_REMINDER_SENT if sent else EventKind.REMINDER_FAILED
    if kind == ReminderKind.CAREGIVER.value:
        return EventKind.CAREGIVER_ALERT_SENT if sent else EventKind.REMINDER_FAILED
    return EventKind.REMINDER_SENT if sent else EventKind.REMINDER_FAILED


def _prepare(
    r: Any, channels: Mapping[str, Channel], policy: RetryPolicy, deep_link: str
) -> Message | tuple[str, None, str | None]:
    """The message to send, or the outcome that needs no send (status,
    provider id, error)."""
    # A dose recorded since the decision needs no reminder (a caregiver alert
    # is about a dose already missed, so it always goes).
    medication = r.kind == ReminderKind.MEDICATION.value
    if medication and r.dose_status is not None and r.dose_status != DoseStatus.SCHEDULED:
        return (ReminderState.CANCELLED.value, None, None)
    if channels.get(r.channel) is None:
        return (ReminderState.FAILED.value, None, unconfigured(r.channel))
    address = {
        ReminderChannel.SMS: r.phone,
        ReminderChannel.EMAIL: r.user_email or r.patient_email,
    }.get(r.channel)
    # A caregiver reads the patient's language too: the family that cares
    # for a patient most often shares it (docs/languages.md).
    text = reminder_text(
        r.kind,
        r.due_at,
        r.scheduled_at,
        r.timezone,
        speak(r.language or policy.language, r.timezone),
        deep_link,
        r.drug_name if policy.drug_names else None,
    )
    return Message(
        reminder_id=r.id,
        patient_id=r.patient_id,
        channel=r.channel,
        address=address,
        text=text.body,
        subject=text.subject,
    )


def _outcome(
    item: Pending,
    error: Exception | None,
    provider_id: str | None,
    at: datetime,
    policy: RetryPolicy,
) -> Outcome:
    """What a provider's answer makes of the reminder: sent, failed for
    good, or queued again after a backoff while tries remain."""
    r = item.row
    if error is None:
        return Outcome(r, item.lease_end, ReminderState.SENT.value, provider_id, None, at)
    reason = str(error)[:500]
    if isinstance(error, PermanentSendError) or r.attempts >= policy.max_attempts:
        return Outcome(r, item.lease_end, ReminderState.FAILED.value, None, reason, None, at)
    return Outcome(
        r,
        item.lease_end,
        ReminderState.QUEUED.value,
        None,
        reason,
        None,
        at + policy.backoff(r.attempts),
    )
