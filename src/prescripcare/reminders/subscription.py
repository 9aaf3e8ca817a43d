"""The `reminderStatus` subscription (graphql-transport-ws only)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import datetime, timedelta

import strawberry

from prescripcare.audit.models import AuditAction
from prescripcare.doses.types import DoseType
from prescripcare.errors import not_found
from prescripcare.graphql.context import Loaders
from prescripcare.graphql.enums import ReminderChannelEnum
from prescripcare.graphql.errors import bad_input
from prescripcare.graphql.info import Info
from prescripcare.ids import parse_uuid
from prescripcare.observability.metrics import ACTIVE_SUBSCRIPTIONS
from prescripcare.patients.models import ReminderChannel
from prescripcare.patients.visible_sets import RECHECK
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
# ends for its events within this long, not when the token runs out. What
# each viewer may see is held once per process (patients/visible_sets.py).
VISIBILITY_RECHECK = RECHECK
# Sockets of one viewer opening together share one load of what it may see.
OPENING_SHARES = timedelta(seconds=1)


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
        res = ctx.resources
        visible = res.visible_sets
        # Opening judges access at this moment (a grant given just now counts).
        await visible.refresh(viewer, OPENING_SHARES)
        # Audit: the subscription itself, then each patient's first event
        # delivered (not every event: a day of reminders is one reading).
        delivered: set[uuid.UUID] = set()
        if patient_id is not None:
            only = parse_uuid(patient_id)
            if only is None or not await visible.allows(viewer, only):
                raise not_found("Patient")
            ctx.reads.add(only, AuditAction.PATIENT_SUBSCRIBED)
            # With other sockets' readings in one transaction: a crowd
            # subscribing at once is not one commit (and pooled connection)
            # after another behind the audit chain's lock.
            await res.read_audit.record(viewer, ctx.reads.drain(), ctx.now())
            delivered.add(only)
        ACTIVE_SUBSCRIPTIONS.inc()
        try:
            # Without `after`, events from when the subscription arrived: an
            # action the client takes right after subscribing is seen even
            # when the session and visibility checks take a while.
            start: str | None = after
            if start is None and ctx.received_ms is not None:
                start = position_at(ctx.received_ms)

            def wants(event: Event) -> bool:
                if only is not None and event.patient_id != only:
                    return False
                return visible.may_see(viewer, event.patient_id) is not False

            async for event in res.events.follow(start, POLL, wants):
                if event is None or (only is not None and event.patient_id != only):
                    continue
                if not await visible.allows(viewer, event.patient_id):
                    continue
                if event.patient_id not in delivered:
                    # Written with other sockets' first readings in one
                    # transaction (audit/batch.py), before anything is sent.
                    ctx.reads.add(event.patient_id)
                    await res.read_audit.record(viewer, ctx.reads.drain(), ctx.now())
                    delivered.add(event.patient_id)
                # A subscription lives long: each event reads fresh data.
                ctx.loaders = Loaders.for_viewer(res, viewer)
                yield ReminderEventType.from_event(event)
        finally:
            ACTIVE_SUBSCRIPTIONS.dec()
