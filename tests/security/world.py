"""Two complete patient worlds (A and B) and, per contract operation and
role, a set of variables the server accepts: the baseline that hostile tests
spoil one argument of."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from prescripcare.auth.models import Role
from prescripcare.db import transaction
from prescripcare.patients import service as patients
from prescripcare.resources import Resources
from tests.factories import PASSWORD, Account, account
from tests.patients.documents import CREATE_PATIENT
from tests.prescriptions.documents import LISINOPRIL, METFORMIN, PRESCRIBE, prescription
from tests.security.conftest import Hostile

STRONG_PASSWORD = "plum-Sextant-41-orbit"


@dataclass
class World:
    """A self-registered patient with a linked caregiver and a clinician on
    the care team; a prescription from the clinician (with scheduled doses)
    and one the patient reported."""

    patient: Account
    caregiver: Account
    clinician: Account
    admin: Account
    patient_id: str
    prescription_id: str  # the clinician's
    own_prescription_id: str  # self-reported by the patient
    dose_id: str

    def by_role(self, role: Role | None) -> Account | None:
        return {
            None: None,
            Role.PATIENT: self.patient,
            Role.CAREGIVER: self.caregiver,
            Role.CLINICIAN: self.clinician,
            Role.ADMIN: self.admin,
        }[role]

    def token(self, role: Role | None) -> str | None:
        who = self.by_role(role)
        return who.token if who else None


async def prescribe(hostile: Hostile, who: Account, patient_id: str, drug: str = LISINOPRIL) -> str:
    # 11:00 in the patient's New York: an hour after the suite's clock, so
    # today's dose can be recorded or snoozed now.
    variables = prescription(patient_id, drug, schedule={"timesOfDay": ["11:00"]})
    body = (await hostile.post(PRESCRIBE, variables, who.token)).json()
    payload = body["data"]["prescribe"]
    assert payload["errors"] == [], payload
    return str(payload["prescription"]["id"])


async def build_world(res: Resources, hostile: Hostile) -> World:
    pat = await account(res, Role.PATIENT)
    carer = await account(res, Role.CAREGIVER)
    doc = await account(res, Role.CLINICIAN)
    admin = await account(res, Role.ADMIN)
    pid = str(pat.patient_id)
    now = res.clock.now()
    async with transaction(res.sessions) as session:
        await patients.link_caregiver(session, pat.viewer, pid, carer.email, now)
        await patients.add_care_team_member(session, admin.viewer, pid, doc.email, now)
    rx = await prescribe(hostile, doc, pid)
    own = await prescribe(hostile, pat, pid, METFORMIN)
    async with res.engine.connect() as conn:
        dose = (
            await conn.execute(
                text(
                    "SELECT id FROM doses WHERE prescription_id = :rx AND status = 'SCHEDULED' "
                    "ORDER BY scheduled_at LIMIT 1"
                ),
                {"rx": rx},
            )
        ).scalar_one()
    return World(pat, carer, doc, admin, pid, rx, own, str(dose))


def fresh_email() -> str:
    return f"new-{uuid.uuid4().hex[:10]}@clinic.example.org"


Variables = dict[str, Any]
Baseline = Callable[[World, Role | None, Hostile], Awaitable[Variables]]


async def _prescription_of(w: World, role: Role | None, hostile: Hostile) -> str:
    """A prescription the role may change: patients change only what they
    reported themselves. A new one each time, so a discontinuation does not
    leave the next call an INVALID_STATE."""
    if role is Role.PATIENT:
        return await prescribe(hostile, w.patient, w.patient_id, METFORMIN)
    return await prescribe(hostile, w.clinician, w.patient_id)


def _fixed(variables: Variables) -> Baseline:
    async def build(w: World, role: Role | None, hostile: Hostile) -> Variables:
        return variables

    return build


async def _register(w: World, role: Role | None, hostile: Hostile) -> Variables:
    return {
        "input": {
            "email": fresh_email(),
            "password": STRONG_PASSWORD,
            "name": "New Person",
            "dateOfBirth": "1990-02-03",
            "timezone": "Europe/Paris",
        }
    }


async def _login(w: World, role: Role | None, hostile: Hostile) -> Variables:
    return {"email": w.patient.email, "password": PASSWORD}


async def _refresh(w: World, role: Role | None, hostile: Hostile) -> Variables:
    fresh = await account(w.patient.resources, Role.CAREGIVER)  # type: ignore[arg-type]
    return {"refreshToken": fresh.refresh_token}


async def _create_user(w: World, role: Role | None, hostile: Hostile) -> Variables:
    return {
        "input": {
            "email": fresh_email(),
            "password": STRONG_PASSWORD,
            "role": "CLINICIAN",
            "name": "Dr New",
        }
    }


async def _create_patient(w: World, role: Role | None, hostile: Hostile) -> Variables:
    return {
        "input": {
            "name": "Noor Haddad",
            "dateOfBirth": "1961-07-08",
            "timezone": "Asia/Amman",
            "phone": "+14155550123",
            "email": fresh_email(),
        }
    }


async def _update_patient(w: World, role: Role | None, hostile: Hostile) -> Variables:
    return {
        "id": w.patient_id,
        "input": {
            "name": "Renamed Patient",
            "dateOfBirth": "1980-05-17",
            "timezone": "America/New_York",  # a new zone would replace the doses
            "phone": "+14155550124",
            "email": fresh_email(),
            "quietHours": {"start": "22:00", "end": "07:00"},
        },
    }


async def _link(w: World, role: Role | None, hostile: Hostile) -> Variables:
    return {"patientId": w.patient_id, "email": w.caregiver.email}


async def _dashboard(w: World, role: Role | None, hostile: Hostile) -> Variables:
    return {"id": w.patient_id, "from": "2026-01-13T00:00:00Z", "to": "2026-01-20T00:00:00Z"}


async def _prescribe(w: World, role: Role | None, hostile: Hostile) -> Variables:
    return prescription(
        w.patient_id,
        METFORMIN if role is Role.PATIENT else LISINOPRIL,
        endDate="2026-06-30",
        sig="Take one tablet by mouth with breakfast",
        overrideReason="Reviewed with the patient",
        schedule={"timesOfDay": ["08:00"]},
    )


async def _update_prescription(w: World, role: Role | None, hostile: Hostile) -> Variables:
    return {
        "id": await _prescription_of(w, role, hostile),
        "input": {
            "dose": {"quantity": 2, "unit": "tablet"},
            "schedule": {"timesOfDay": ["09:00"]},
            "endDate": "2026-07-31",
            "sig": "Two tablets in the morning",
        },
    }


async def _discontinue(w: World, role: Role | None, hostile: Hostile) -> Variables:
    return {"id": await _prescription_of(w, role, hostile), "reason": "Cough on ACE inhibitor"}


async def _fill(w: World, role: Role | None, hostile: Hostile) -> Variables:
    rx = w.own_prescription_id if role is Role.PATIENT else w.prescription_id
    return {"input": {"prescriptionId": rx, "filledOn": "2026-01-13", "daysSupply": 30}}


async def _record_dose(w: World, role: Role | None, hostile: Hostile) -> Variables:
    return {"doseId": w.dose_id, "status": "TAKEN", "takenAt": "2026-01-13T15:00:00Z"}


async def _snooze(w: World, role: Role | None, hostile: Hostile) -> Variables:
    # A dose of its own each time: a taken dose can no longer be snoozed.
    rx = await prescribe(hostile, w.clinician, w.patient_id, METFORMIN)
    async with w.patient.resources.engine.connect() as conn:  # type: ignore[union-attr]
        dose = (
            await conn.execute(
                text("SELECT id FROM doses WHERE prescription_id = :rx ORDER BY scheduled_at"),
                {"rx": rx},
            )
        ).scalar()
    return {"doseId": str(dose), "minutes": 15}


async def _by_patient(w: World, role: Role | None, hostile: Hostile) -> Variables:
    return {"patientId": w.patient_id}


async def _erase(w: World, role: Role | None, hostile: Hostile) -> Variables:
    """An ADMIN erases a patient of its own making, so the world's patient
    lives on for the rest of the run; a PATIENT can only erase themself."""
    if role is not Role.ADMIN:
        return {"patientId": w.patient_id}
    created = await hostile.post(
        CREATE_PATIENT, await _create_patient(w, role, hostile), w.token(Role.ADMIN)
    )
    return {"patientId": created.json()["data"]["createPatient"]["patient"]["id"]}


async def _add_team(w: World, role: Role | None, hostile: Hostile) -> Variables:
    return {"patientId": w.patient_id, "email": w.clinician.email}


async def _unlink(w: World, role: Role | None, hostile: Hostile) -> Variables:
    return {"patientId": w.patient_id, "caregiverId": str(w.caregiver.id)}


async def _remove_team(w: World, role: Role | None, hostile: Hostile) -> Variables:
    return {"patientId": w.patient_id, "userId": str(w.clinician.id)}


BASELINES: dict[str, Baseline] = {
    "Register": _register,
    "Login": _login,
    "RefreshToken": _refresh,
    "Logout": _refresh,
    "CreateUser": _create_user,
    "Me": _fixed({}),
    "CreatePatient": _create_patient,
    "UpdatePatient": _update_patient,
    "LinkCaregiver": _link,
    "PatientList": _fixed({"first": 10, "search": "Test"}),
    "PatientDashboard": _dashboard,
    "DrugSearch": _fixed({"q": "lisino", "first": 5}),
    "Drug": _fixed({"rxcui": LISINOPRIL}),
    "InteractionCheck": _fixed({"rxcuis": [LISINOPRIL, METFORMIN]}),
    "Prescribe": _prescribe,
    "UpdatePrescription": _update_prescription,
    "DiscontinuePrescription": _discontinue,
    "RecordFill": _fill,
    "RecordDose": _record_dose,
    "SnoozeReminder": _snooze,
    "ReminderStatus": _by_patient,
    "ExportPatientData": _by_patient,
    "ErasePatient": _erase,
    "AuditLog": _by_patient,
    "AddCareTeamMember": _add_team,
    "UnlinkCaregiver": _unlink,
    "RemoveCareTeamMember": _remove_team,
}
