"""Seeding the demo clinic: accounts, patients, prescriptions and 90 days of
history ending now, in one transaction (a failure leaves nothing behind).

The accounts and the patients' own logins are created on the history's first
day; prescriptions, fills, reminder settings and the caregiver link each on
the day the cast says, all through the services (see demo/replay.py).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from prescripcare.auth.models import Role, User
from prescripcare.auth.service import Registration
from prescripcare.auth.viewer import Viewer
from prescripcare.demo.accounts import ADMIN, CAREGIVER, CLINICIAN, LOGINS, DemoLogin
from prescripcare.demo.cast import (
    CLINIC,
    HISTORY_DAYS,
    MARIA,
    PATIENT_PASSWORD,
    REMINDER_DAYS,
    DemoPatient,
    Regimen,
)
from prescripcare.demo.replay import Member, Replay, Step, Timeline
from prescripcare.doses.schedule import Schedule, occurrences
from prescripcare.drugs.loaders import DrugLoaders
from prescripcare.partial import KEEP
from prescripcare.patients import service as patients
from prescripcare.prescriptions import fills
from prescripcare.prescriptions import service as prescriptions
from prescripcare.prescriptions.validation import ScheduleData
from prescripcare.resources import Resources

# The every-N-hours dose seeded to fall due this soon after seeding.
DUE_SOON = (timedelta(minutes=15), timedelta(minutes=45))


class DemoRefused(Exception):
    """Demo data on a production database: refused before anything is written."""


async def _user(session: AsyncSession, email: str) -> User | None:
    return (
        await session.execute(select(User).where(col(User.email_blind_index) == email))
    ).scalar_one_or_none()


async def seed_demo(resources: Resources, now: datetime | None = None) -> list[DemoLogin]:
    """Creates the demo clinic unless it exists; answers the logins it created
    (empty when the demo data was already there)."""
    if resources.settings.is_production:
        raise DemoRefused("refusing to load demo accounts in production")
    now = now or resources.clock.now()
    async with resources.engine.connect() as connection, connection.begin():
        # The outbox commits its claims and sends in transactions of its own:
        # here they are savepoints of this one.
        nested = async_sessionmaker(
            bind=connection,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
            autoflush=False,
        )
        async with AsyncSession(
            bind=connection, expire_on_commit=False, autoflush=False
        ) as session:
            if await _user(session, ADMIN.email) is not None:
                return []
            replay = Replay(session, nested, resources.settings, Timeline.ending(now))
            await _cast(session, replay, resources)
            await replay.run()
            await session.flush()
    return list(LOGINS)


async def _cast(session: AsyncSession, replay: Replay, resources: Resources) -> None:
    timeline = replay.timeline
    start = timeline.start
    auth = resources.auth
    for login in (ADMIN, CLINICIAN):
        await auth.create_user(
            session, None, login.email, login.password, login.role, _staff_name(login), start
        )
    await auth.register(
        session,
        Registration(
            email=CAREGIVER.email,
            password=CAREGIVER.password,
            name="Sam Lopez",
            role=Role.CAREGIVER,
        ),
        start,
    )
    clinician = await _user(session, CLINICIAN.email)
    assert clinician is not None
    doctor = Viewer(user_id=clinician.id, role=Role.CLINICIAN, email=clinician.email)
    admin = await _user(session, ADMIN.email)
    assert admin is not None
    # Adding a clinician to a care team is staff-only: the demo admin does it.
    staff = Viewer(user_id=admin.id, role=Role.ADMIN, email=admin.email)
    drugs = DrugLoaders.create(resources.sessions)
    reminders_on = start + timedelta(days=HISTORY_DAYS - REMINDER_DAYS, hours=12)
    replay.reminders_from = reminders_on + timedelta(seconds=1)

    for cast in CLINIC:
        signed = await auth.register(
            session,
            Registration(
                email=cast.email,
                password=PATIENT_PASSWORD,
                name=cast.name,
                date_of_birth=cast.born,
                timezone=cast.timezone,
            ),
            start,
        )
        viewer = Viewer(user_id=signed.user.id, role=Role.PATIENT, email=cast.email)
        own = await patients.patient_of_user(session, signed.user.id)
        assert own is not None
        member = Member(cast, own.id, viewer)
        replay.members[own.id] = member
        await patients.add_care_team_member(session, staff, str(own.id), CLINICIAN.email, start)
        if cast.language is not None:
            await patients.set_language(session, viewer, str(own.id), cast.language, start)
        by_key: dict[str, uuid.UUID] = {}
        for regimen in cast.regimens:
            prescriber = viewer if regimen.self_reported else doctor
            when = (
                start
                if regimen.prescribed_on == 0
                else timeline.at(cast, regimen.prescribed_on, time(10, 0))
            )
            replay.at(when, _prescribe(replay, drugs, member, prescriber, regimen, when, by_key))
            for day in regimen.fills:
                at = max(when, timeline.at(cast, day, time(11, 0)))
                replay.at(at, _fill(replay, member, regimen, day, at, by_key))
        replay.at(reminders_on, _reminders(replay, member, reminders_on))


def _staff_name(login: DemoLogin) -> str:
    return "Dr. Ama Osei" if login is CLINICIAN else "Demo Admin"


def _schedule(replay: Replay, cast: DemoPatient, regimen: Regimen) -> ScheduleData:
    times = list(regimen.times)
    if regimen.due_soon:
        times = [_due_soon_time(replay.timeline, cast, regimen)]
    return ScheduleData(
        # An as-needed medicine has no fixed times: sent as an empty list,
        # as a form's empty multi-select does.
        times_of_day=times,
        days_of_week=list(regimen.days) or None,
        every_hours=regimen.every_hours,
        as_needed=regimen.as_needed or None,
    )


def _start_date(timeline: Timeline, cast: DemoPatient, regimen: Regimen) -> date:
    return timeline.today(cast) - timedelta(days=regimen.started_days_ago)


def _end_date(timeline: Timeline, cast: DemoPatient, regimen: Regimen) -> date | None:
    if regimen.course_days is None:
        return None
    return _start_date(timeline, cast, regimen) + timedelta(days=regimen.course_days - 1)


def _due_soon_time(timeline: Timeline, cast: DemoPatient, regimen: Regimen) -> time:
    """The first dose time of an every-N-hours course that puts one of its
    doses 15 to 45 minutes after seeding (searched, so a daylight-saving
    change inside the course cannot shift it out of the window)."""
    assert regimen.every_hours
    zone = ZoneInfo(cast.timezone)
    start = _start_date(timeline, cast, regimen)
    end = _end_date(timeline, cast, regimen)
    low, high = DUE_SOON
    for minute in range(0, regimen.every_hours * 60, 5):
        candidate = time(minute // 60, minute % 60)
        schedule = Schedule(times_of_day=(candidate,), every_hours=regimen.every_hours)
        if occurrences(schedule, zone, start, end, timeline.now + low, timeline.now + high):
            return candidate
    raise AssertionError("no first dose time puts a dose within the hour")


def _prescribe(
    replay: Replay,
    drugs: DrugLoaders,
    member: Member,
    prescriber: Viewer,
    regimen: Regimen,
    when: datetime,
    by_key: dict[str, uuid.UUID],
) -> Step:
    async def step() -> None:
        timeline = replay.timeline
        start = _start_date(timeline, member.cast, regimen)
        outcome = await prescriptions.prescribe(
            replay.session,
            drugs,
            prescriber,
            prescriptions.NewPrescription(
                patient_id=str(member.patient_id),
                rxcui=regimen.rxcui,
                dose_quantity=regimen.quantity,
                dose_unit=regimen.unit,
                schedule=_schedule(replay, member.cast, regimen),
                start_date=start,
                end_date=_end_date(timeline, member.cast, regimen),
                sig=regimen.sig,
                days_supply=regimen.days_supply,
                refills=5 if regimen.days_supply else None,
                acknowledge_interactions=regimen.acknowledge is not None,
                override_reason=regimen.acknowledge,
            ),
            when,
            replay.settings.dose_horizon,
        )
        assert not outcome.problems, (regimen.key, outcome.problems)
        assert outcome.prescription is not None
        prescription_id = outcome.prescription.id
        by_key[regimen.key] = prescription_id
        member.prescriptions[prescription_id] = regimen
        await replay.plan_prescription(prescription_id, when)

    return step


def _fill(
    replay: Replay,
    member: Member,
    regimen: Regimen,
    day: int,
    when: datetime,
    by_key: dict[str, uuid.UUID],
) -> Step:
    async def step() -> None:
        assert regimen.days_supply is not None or regimen.as_needed
        await fills.record_fill(
            replay.session,
            member.viewer,
            fills.NewFill(
                prescription_id=str(by_key[regimen.key]),
                filled_on=replay.timeline.local_day(member.cast, day),
                days_supply=regimen.days_supply or 30,
            ),
            when,
        )

    return step


def _reminders(replay: Replay, member: Member, when: datetime) -> Step:
    """The patient turns reminders on; Maria also asks her son to watch."""

    async def step() -> None:
        cast = member.cast
        await patients.update_patient(
            replay.session,
            member.viewer,
            str(member.patient_id),
            patients.PatientChanges(
                phone=cast.phone if cast.phone else KEEP,
                email=cast.email,
                reminder_channels=list(cast.channels),
            ),
            when,
            replay.settings.dose_horizon,
        )
        if cast is MARIA:
            await patients.link_caregiver(
                replay.session, member.viewer, str(member.patient_id), CAREGIVER.email, when
            )

    return step
