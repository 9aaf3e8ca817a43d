"""The `reminderStatus` subscription (graphql-transport-ws only)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from dataclasses import replace
from datetime import datetime, timedelta

import strawberry
from sqlalchemy import select
from sqlmodel import col

from prescripcare.audit.extension import flush_reads
from prescripcare.audit.models import AuditAction
from prescripcare.auth.viewer import Viewer
from prescripcare.clock import Clock
from prescripcare.db import SessionFactory
from prescripcare.doses.types import DoseType
from prescripcare.errors import not_found
from prescripcare.graphql.context import Loaders
from prescripcare.graphql.enums import ReminderChannelEnum
from prescripcare.graphql.errors import bad_input
from prescripcare.graphql.info import Info
from prescripcare.ids import parse_uuid
from prescripcare.observability.metrics import ACTIVE_SUBSCRIPTIONS
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import Patient, ReminderChannel
from prescripcare.realtime.events import Event, EventKind, position_at, valid_event_id

ReminderEventKindEnum = strawberry.enum(EventKind, name="ReminderEventKind")
# How long a live read waits before the subscription looks at the clock.
POLL = timedelta(seconds=1)


@strawberry.type(
    name="ReminderEvent", description="One event on the `reminderStatus` subscription."
)
class ReminderEventType:
    id: strawberry.ID = strawberry.field(
        description="Opaque, increasing per patient; pass the last one seen as `after` to resume."
    )
    kind: ReminderEventKindEnum  # type: ignore[valid-type]
    at: datetime
    channel: ReminderChannelEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="Null for DOSE_* kinds."
    )
    _dose_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Null for events not about one dose (REFILL_REMINDER_SENT).")
    async def dose(self, info: Info) -> DoseType | None:
        if self._dose_id is None:
            return None
        found = await info.context.loaders.dose_by_id.load(self._dose_id)
        return DoseType.from_model(found) if found else None

    @classmethod
    def from_event(cls, event: Event) -> ReminderEventType:
        return cls(
            id=strawberry.ID(event.id),
            kind=event.kind,
            at=event.at,
            channel=ReminderChannel(event.channel) if event.channel else None,
            _dose_id=event.dose_id,
        )


# The socket's session (logout, expiry, a disabled account) is watched by
# the socket handler (graphql/socket.py), which closes it with 4403.
# A socket lives long: access that ends (a clinician leaves the care team, a
# caregiver is unlinked, a break-glass grant expires, a patient is erased)
# ends for its events within this long, not when the token runs out.
VISIBILITY_RECHECK = timedelta(seconds=30)


class _Visible:
    """Which patients' events this subscriber may see: the same SQL filter as
    every other read, asked again for a patient after VISIBILITY_RECHECK."""

    def __init__(self, sessions: SessionFactory, viewer: Viewer, clock: Clock) -> None:
        self.sessions = sessions
        self.viewer = viewer
        self.clock = clock
        self.known: dict[uuid.UUID, tuple[bool, datetime]] = {}

    async def allows(self, patient_id: uuid.UUID) -> bool:
        now = self.clock.now()
        seen = self.known.get(patient_id)
        if seen is None or now - seen[1] >= VISIBILITY_RECHECK:
            # Grants are judged at this moment, not when the socket opened.
            viewer = replace(self.viewer, at=now)
            async with self.sessions() as session:
                found = await session.scalar(
                    select(col(Patient.id)).where(
                        col(Patient.id) == patient_id, visible_patients(viewer)
                    )
                )
            seen = (found is not None, now)
            self.known[patient_id] = seen
        return seen[0]


@strawberry.type
class ReminderSubscription:
    @strawberry.subscription(
        description="Reminder and dose events for one patient, or with no patientId for every "
        "patient the caller may see. With `after` (the last event id seen) what was missed "
        "comes first. The socket closes with 4403 when the access token expires."
    )
    async def reminder_status(
        self,
        info: Info,
        patient_id: strawberry.ID | None = None,
        after: strawberry.ID | None = None,
    ) -> AsyncGenerator[ReminderEventType, None]:
        ctx = info.context
        viewer = ctx.require_viewer()
        if after is not None and not valid_event_id(after):
            raise bad_input("after", "Invalid event id: use one this subscription sent.")
        only: uuid.UUID | None = None
        visible = _Visible(ctx.resources.sessions, viewer, ctx.resources.clock)
        # Audit: the subscription itself, then each patient's first event
        # delivered (not every event: a day of reminders is one reading).
        delivered: set[uuid.UUID] = set()
        if patient_id is not None:
            only = parse_uuid(patient_id)
            if only is None or not await visible.allows(only):
                raise not_found("Patient")
            ctx.reads.add(only, AuditAction.PATIENT_SUBSCRIBED)
            await flush_reads(ctx)
            delivered.add(only)
        res = ctx.resources
        ACTIVE_SUBSCRIPTIONS.inc()
        try:
            # Without `after`, events from when the subscription arrived: an
            # action the client takes right after subscribing is seen even
            # when the session and visibility checks take a while.
            start: str | None = after
            if start is None and ctx.received_ms is not None:
                start = position_at(ctx.received_ms)
            async for event in res.events.follow(start, POLL):
                if event is None or (only is not None and event.patient_id != only):
                    continue
                if not await visible.allows(event.patient_id):
                    continue
                if event.patient_id not in delivered:
                    ctx.reads.add(event.patient_id)
                    await flush_reads(ctx)
                    delivered.add(event.patient_id)
                # A subscription lives long: each event reads fresh data.
                ctx.loaders = Loaders.for_viewer(res, viewer)
                yield ReminderEventType.from_event(event)
        finally:
            ACTIVE_SUBSCRIPTIONS.dec()
