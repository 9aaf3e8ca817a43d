"""A missed dose alerts the linked caregivers once, by e-mail, outside the
patient's quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select, update
from sqlmodel import col

from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.doses.missed import mark_missed
from prescripcare.notifications.console import ConsoleChannel
from prescripcare.patients.models import Patient
from prescripcare.realtime.events import stream_key
from prescripcare.reminders.models import Reminder
from prescripcare.reminders.service import queue_caregiver_alerts
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account, account
from tests.patients.documents import LINK_CAREGIVER
from tests.reminders.outbox import DUE, Flaky, send

MISSED_AT = DUE + timedelta(minutes=61)


async def miss(resources: Resources, now: datetime) -> int:
    async with transaction(resources.sessions) as session:
        missed = await mark_missed(session, now, timedelta(minutes=60))
        return await queue_caregiver_alerts(session, missed, now)


async def alerts(resources: Resources) -> list[Reminder]:
    async with resources.sessions() as s:
        return list(
            await s.scalars(select(Reminder).where(col(Reminder.kind) == "caregiver_alert"))
        )


async def link(gql: GraphQLClient, resources: Resources, doctor: Account) -> list[Account]:
    carers = [await account(resources, Role.CAREGIVER) for _ in range(2)]
    async with resources.sessions() as s:
        pid = (await s.scalars(select(col(Patient.id)))).one()
    for carer in carers:
        await gql.data(
            LINK_CAREGIVER, {"patientId": str(pid), "email": carer.email}, token=doctor.token
        )
    return carers


async def test_each_linked_caregiver_is_alerted_once(
    gql: GraphQLClient, resources: Resources, doctor: Account, dose: str
) -> None:
    carers = await link(gql, resources, doctor)
    assert await miss(resources, MISSED_AT) == 2
    assert await miss(resources, MISSED_AT + timedelta(minutes=5)) == 0  # once
    mail = Flaky(0)
    report = await send(resources, {"EMAIL": mail}, MISSED_AT)
    assert report.sent == 2
    assert sorted(m.address or "" for m in mail.sent) == sorted(c.email for c in carers)
    assert all("not recorded" in m.text for m in mail.sent)
    assert {e.kind.value for e in report.events} == {"CAREGIVER_ALERT_SENT"}


async def test_quiet_hours_hold_caregiver_alerts(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account, dose: str
) -> None:
    await link(gql, resources, doctor)
    async with transaction(resources.sessions) as session:
        await session.execute(
            update(Patient).values(quiet_start=time(9, 0), quiet_end=time(11, 30))
        )
    await miss(resources, MISSED_AT)  # 09:01 London: quiet until 11:30
    held = await alerts(resources)
    assert {a.next_attempt_at for a in held} == {datetime(2026, 1, 14, 11, 30, tzinfo=UTC)}
    assert (await send(resources, {"EMAIL": ConsoleChannel("EMAIL")}, MISSED_AT)).sent == 0
    later = datetime(2026, 1, 14, 11, 30, tzinfo=UTC)
    assert (await send(resources, {"EMAIL": ConsoleChannel("EMAIL")}, later)).sent == 2


async def test_no_caregiver_no_alert(resources: Resources, dose: str) -> None:
    assert await miss(resources, MISSED_AT) == 0
    assert await resources.redis.xrange(stream_key(resources.keys)) == []
