"""The demo clinic's 90 days, replayed through the real services.

Nothing here writes a table directly: prescriptions are prescribed, doses
materialized, recorded, snoozed and marked missed, fills recorded, reminders
queued, sent and receipted by the same functions the API and the worker
call, each at the simulated instant it happened. So the audit log, the
encrypted columns and every derived figure are what the product would have
made of that history.

The replay is a time-ordered queue of events. Each simulated day tops the
dose horizon up and asks `behaviour.choose` what the patient does with each
of that day's doses; the worker's missed-dose scan runs every hour; while
reminders are on (the last `REMINDER_DAYS`), every dose instant queues and
sends its reminders through the outbox, and each SMS gets Twilio's receipt a
little later. Events after `now` never happen: those doses are still to come.
"""

from __future__ import annotations

import heapq
import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.auth.viewer import Viewer
from prescripcare.db import SessionFactory
from prescripcare.demo.behaviour import Act, choose, generator, receipt
from prescripcare.demo.cast import HISTORY_DAYS, DemoPatient, Regimen
from prescripcare.doses import service as doses
from prescripcare.doses.materialize import extend_horizons
from prescripcare.doses.missed import mark_missed
from prescripcare.doses.models import Dose, DoseStatus
from prescripcare.notifications.message import Channel, Message
from prescripcare.reminders.delivery import record_receipt
from prescripcare.reminders.refills import queue_refill_reminders
from prescripcare.reminders.service import (
    RetryPolicy,
    queue_caregiver_alerts,
    queue_due,
    send_ready,
)
from prescripcare.settings import Settings

# The worker tops the horizon up every 15 minutes and scans for missed doses
# every minute; the replay does both as often as the outcome needs: the
# horizon (DOSE_HORIZON_DAYS, at least 14) outlasts a week, and a missed
# dose matters by the hour only while reminders and caregiver alerts are on.
HORIZON_EVERY = timedelta(days=7)
SCAN_EVERY = timedelta(hours=6)
SCAN_EVERY_WITH_REMINDERS = timedelta(hours=1)
Step = Callable[[], Awaitable[None]]


@dataclass
class Sent:
    patient_id: uuid.UUID
    channel: str
    provider_id: str


@dataclass
class ReplayedProvider:
    """Stands for the SMS and e-mail providers in the replayed past: it
    accepts each message, as they did then, and answers an id shaped like
    theirs. Nothing leaves the machine; today's sends go through the
    channels the worker configures."""

    sent: list[Sent] = field(default_factory=list)

    def channel(self, name: str) -> Channel:
        provider = self

        class _Accepting:
            def __init__(self) -> None:
                self.name = name

            async def send(self, message: Message) -> str:
                prefix = "SM" if message.channel == "SMS" else "demo-"
                sid = f"{prefix}{message.reminder_id.hex}"
                provider.sent.append(Sent(message.patient_id, message.channel, sid))
                return sid

        return _Accepting()


@dataclass
class Timeline:
    """Day 0 is the first day of the history, day HISTORY_DAYS today, each
    in the patient's own calendar."""

    now: datetime
    seed: date
    start: datetime  # the history's first instant (UTC midnight of day 0)

    @classmethod
    def ending(cls, now: datetime) -> Timeline:
        seed = now.astimezone(UTC).date()
        start = datetime.combine(seed - timedelta(days=HISTORY_DAYS), time(0), UTC)
        return cls(now=now, seed=seed, start=start)

    def today(self, patient: DemoPatient) -> date:
        return self.now.astimezone(ZoneInfo(patient.timezone)).date()

    def local_day(self, patient: DemoPatient, day: int) -> date:
        return self.today(patient) - timedelta(days=HISTORY_DAYS - day)

    def day_of(self, patient: DemoPatient, instant: datetime) -> int:
        local = instant.astimezone(ZoneInfo(patient.timezone)).date()
        return HISTORY_DAYS - (self.today(patient) - local).days

    def at(self, patient: DemoPatient, day: int, clock: time) -> datetime:
        """A local wall time on a history day, never before the history."""
        local = datetime.combine(self.local_day(patient, day), clock, ZoneInfo(patient.timezone))
        return max(self.start, local.astimezone(UTC))

    def progress(self, instant: datetime) -> float:
        return max(0.0, min(1.0, (instant - self.start) / (self.now - self.start)))


def supplied(regimen: Regimen, day: int) -> bool:
    """Whether the patient had the medicine on that day: fills chained as a
    pharmacy would (each starts when the previous runs out)."""
    if not regimen.days_supply:
        return True
    end: int | None = None
    for filled in sorted(regimen.fills):
        begin = filled if end is None or end < filled else end
        if end is not None and end <= day < filled:
            return False
        end = begin + regimen.days_supply
        if filled <= day < end:
            return True
    return not regimen.fills or day < min(regimen.fills)


@dataclass
class Member:
    """A demo patient as seeded: their record, their own viewer, and their
    prescriptions by regimen key."""

    cast: DemoPatient
    patient_id: uuid.UUID
    viewer: Viewer
    prescriptions: dict[uuid.UUID, Regimen] = field(default_factory=dict)


class Replay:
    def __init__(
        self,
        session: AsyncSession,
        sessions: SessionFactory,
        settings: Settings,
        timeline: Timeline,
    ) -> None:
        self.session = session
        self.sessions = sessions
        self.settings = settings
        self.timeline = timeline
        self.members: dict[uuid.UUID, Member] = {}
        self.reminders_from: datetime | None = None
        self._queue: list[tuple[datetime, int, Step]] = []
        self._order = itertools.count()
        self._provider = ReplayedProvider()
        self._channels = {name: self._provider.channel(name) for name in ("SMS", "EMAIL", "PUSH")}
        self._due_instants: set[datetime] = set()

    def at(self, when: datetime, step: Step) -> None:
        """Schedules a step; steps after `now` never run (that is the future)."""
        if when <= self.timeline.now:
            heapq.heappush(self._queue, (when, next(self._order), step))

    async def run(self) -> None:
        day = self.timeline.start
        while day < self.timeline.now:
            self.at(day, self._day_step(day))
            day += timedelta(days=1)
        scan = self.timeline.start + SCAN_EVERY
        while scan < self.timeline.now:
            self.at(scan, self._scan_step(scan))
            scan += SCAN_EVERY_WITH_REMINDERS if self._reminders_on(scan) else SCAN_EVERY
        while self._queue:
            _, _, step = heapq.heappop(self._queue)
            await step()
        await self._finish()

    # The worker's periodic jobs, at simulated instants.

    def _day_step(self, day: datetime) -> Step:
        async def step() -> None:
            session = self.session
            if (day - self.timeline.start) % HORIZON_EVERY == timedelta(0):
                await extend_horizons(session, day, self.settings.dose_horizon)
            if self._reminders_on(day):
                await queue_refill_reminders(
                    session, day, self.settings.refill_reminder_days, list(self._channels)
                )
            found = await session.scalars(
                select(Dose)
                .where(
                    col(Dose.status) == DoseStatus.SCHEDULED.value,
                    col(Dose.scheduled_at) >= day,
                    col(Dose.scheduled_at) < day + timedelta(days=1),
                )
                .order_by(col(Dose.scheduled_at), col(Dose.id))
            )
            for dose in list(found):
                self._plan_dose(dose.id, dose.prescription_id, dose.patient_id, dose.scheduled_at)
            # Yesterday's objects are done with: keep the identity map small.
            session.expunge_all()

        return step

    def _scan_step(self, at: datetime) -> Step:
        async def step() -> None:
            missed = await mark_missed(self.session, at, self.settings.dose_grace)
            await queue_caregiver_alerts(self.session, missed, at)
            if missed and self._reminders_on(at):
                await self._send(at)

        return step

    def _reminders_on(self, at: datetime) -> bool:
        return self.reminders_from is not None and at >= self.reminders_from

    # A patient's dose.

    def _plan_dose(
        self, dose_id: uuid.UUID, prescription_id: uuid.UUID, patient_id: uuid.UUID, due: datetime
    ) -> None:
        member = self.members[patient_id]
        regimen = member.prescriptions[prescription_id]
        timeline = self.timeline
        day = timeline.day_of(member.cast, due)
        choice = choose(
            timeline.seed,
            member.cast,
            regimen.key,
            due,
            timeline.progress(due),
            supplied(regimen, day),
        )
        if due not in self._due_instants:
            self._due_instants.add(due)
            self.at(due, self._due_step(due))
        if choice.act is Act.MISSED:
            return
        viewer = member.viewer
        if choice.snooze_minutes is not None:
            minutes = choice.snooze_minutes

            async def snooze() -> None:
                dose = await doses.snooze(
                    self.session, viewer, str(dose_id), minutes, due + timedelta(minutes=1)
                )
                assert dose.snoozed_until is not None
                self.at(dose.snoozed_until, self._due_step(dose.snoozed_until))

            self.at(due + timedelta(minutes=1), snooze)
        taken = due + choice.offset if choice.act is Act.TAKEN else None
        recorded = (taken or due) + choice.recorded_after
        # Nobody records a dose more than two hours ahead (the service refuses).
        recorded = max(recorded, due - doses.EARLIEST_RECORD + timedelta(minutes=1))
        action = doses.DoseAction(choice.act.value)

        async def record() -> None:
            await doses.record_dose(self.session, viewer, str(dose_id), action, taken, recorded)

        self.at(recorded, record)

    async def plan_prescription(self, prescription_id: uuid.UUID, since: datetime) -> None:
        """A prescription entered during a simulated day: its doses of the rest
        of that day (the day's step ran before it existed)."""
        day_end = datetime.combine(since.astimezone(UTC).date() + timedelta(days=1), time(0), UTC)
        found = await self.session.scalars(
            select(Dose)
            .where(
                col(Dose.prescription_id) == prescription_id,
                col(Dose.scheduled_at) >= since,
                col(Dose.scheduled_at) < day_end,
            )
            .order_by(col(Dose.scheduled_at))
        )
        for dose in list(found):
            self._plan_dose(dose.id, dose.prescription_id, dose.patient_id, dose.scheduled_at)

    # Reminders through the outbox.

    def _due_step(self, at: datetime) -> Step:
        async def step() -> None:
            if not self._reminders_on(at):
                return
            await queue_due(self.session, at, self.settings.dose_grace, list(self._channels))
            await self._send(at + timedelta(seconds=20))

        return step

    async def _send(self, at: datetime) -> None:
        # The outbox's own transactions, as savepoints of the seeding one.
        await self.session.flush()
        policy = RetryPolicy(max_attempts=self.settings.reminder_max_attempts)
        before = len(self._provider.sent)
        await send_ready(self.sessions, self._channels, at, policy, self.settings.public_app_url)
        for sent in self._provider.sent[before:]:
            if sent.channel != "SMS":
                continue  # only SMS has delivery receipts
            member = self.members[sent.patient_id]
            status = receipt(self.timeline.seed, member.cast, at, self.timeline.today(member.cast))
            later = at + timedelta(
                seconds=generator(self.timeline.seed, sent.provider_id).randint(5, 180)
            )
            self.at(later, self._receipt_step(sent.provider_id, status, later))

    def _receipt_step(self, sid: str, status: str, at: datetime) -> Step:
        async def step() -> None:
            # Twilio's code for an unreachable handset on undelivered ones.
            error = "30003" if status == "undelivered" else None
            await record_receipt(self.session, sid, status, error, at)

        return step

    async def _finish(self) -> None:
        now = self.timeline.now
        await extend_horizons(self.session, now, self.settings.dose_horizon)
        missed = await mark_missed(self.session, now, self.settings.dose_grace)
        await queue_caregiver_alerts(self.session, missed, now)
        await self._send(now)
        await self.session.flush()
