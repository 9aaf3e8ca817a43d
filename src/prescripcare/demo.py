"""Demo accounts and patients for `prescripcare seed --demo` and `dev`.

The passwords are fixed and published in the README: this data exists to be
explored in GraphiQL, never on a production database (the command refuses
there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.auth.models import Role, User
from prescripcare.auth.service import AuthService, Registration
from prescripcare.auth.viewer import Viewer
from prescripcare.patients import service as patients
from prescripcare.patients.models import ReminderChannel


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: Role


ADMIN = DemoLogin("admin@demo.prescripcare.example", "demo-admin-passphrase", Role.ADMIN)
CLINICIAN = DemoLogin(
    "dr.osei@demo.prescripcare.example", "demo-clinician-passphrase", Role.CLINICIAN
)
PATIENT = DemoLogin(
    "maria.lopez@demo.prescripcare.example", "demo-patient-passphrase", Role.PATIENT
)
CAREGIVER = DemoLogin(
    "sam.lopez@demo.prescripcare.example", "demo-caregiver-passphrase", Role.CAREGIVER
)
LOGINS = (ADMIN, CLINICIAN, PATIENT, CAREGIVER)

# Patients the demo clinician looks after, in time zones that exercise
# daylight saving, a half-hour offset and the southern hemisphere.
CLINIC_PATIENTS = (
    ("Arjun Mehta", date(1958, 4, 2), "Asia/Kolkata", "+919812345678"),
    ("Eleanor Whitfield", date(1946, 11, 23), "Europe/London", "+442079460123"),
    ("James O'Connor", date(1971, 6, 14), "America/New_York", "+12025550143"),
    ("Ruby Nguyen", date(1989, 1, 30), "Australia/Lord_Howe", None),
)


async def _user(session: AsyncSession, email: str) -> User | None:
    return (
        await session.execute(select(User).where(col(User.email_blind_index) == email))
    ).scalar_one_or_none()


async def seed_demo(session: AsyncSession, auth: AuthService, now: datetime) -> list[DemoLogin]:
    """Creates what is missing; answers the logins it created (empty when the
    demo data was already there)."""
    if await _user(session, ADMIN.email) is not None:
        return []
    for login in (ADMIN, CLINICIAN):
        await auth.create_user(
            session,
            None,
            login.email,
            login.password,
            login.role,
            "Demo " + login.role.value.title(),
            now,
        )
    await auth.register(
        session,
        Registration(
            email=CAREGIVER.email,
            password=CAREGIVER.password,
            name="Sam Lopez",
            role=Role.CAREGIVER,
        ),
        now,
    )
    signed = await auth.register(
        session,
        Registration(
            email=PATIENT.email,
            password=PATIENT.password,
            name="Maria Lopez",
            date_of_birth=date(1952, 3, 9),
            timezone="America/Chicago",
        ),
        now,
    )
    patient_viewer = Viewer(user_id=signed.user.id, role=Role.PATIENT, email=PATIENT.email)
    own = await patients.patient_of_user(session, signed.user.id)
    assert own is not None
    await patients.link_caregiver(session, patient_viewer, str(own.id), CAREGIVER.email, now)
    # Adding a clinician to a care team is staff-only: the demo admin does it.
    admin = await _user(session, ADMIN.email)
    assert admin is not None
    admin_viewer = Viewer(user_id=admin.id, role=Role.ADMIN, email=admin.email)
    await patients.add_care_team_member(session, admin_viewer, str(own.id), CLINICIAN.email, now)

    clinician = await _user(session, CLINICIAN.email)
    assert clinician is not None
    doctor = Viewer(user_id=clinician.id, role=Role.CLINICIAN, email=clinician.email)
    for name, born, tz, phone in CLINIC_PATIENTS:
        await patients.create_patient(
            session,
            doctor,
            patients.NewPatient(
                name=name,
                date_of_birth=born,
                timezone=tz,
                phone=phone,
                reminder_channels=[ReminderChannel.SMS] if phone else [],
            ),
            now,
        )
    return list(LOGINS)
