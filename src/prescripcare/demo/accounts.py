"""The demo logins, published in the README: this data exists to be explored
in GraphiQL, never on a production database (seeding refuses there)."""

from __future__ import annotations

from dataclasses import dataclass

from prescripcare.auth.models import Role
from prescripcare.demo.cast import PATIENT_PASSWORD


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: Role


ADMIN = DemoLogin("admin@demo.prescripcare.example", "demo-admin-passphrase", Role.ADMIN)
CLINICIAN = DemoLogin(
    "dr.osei@demo.prescripcare.example", "demo-clinician-passphrase", Role.CLINICIAN
)
PATIENT = DemoLogin("maria.lopez@demo.prescripcare.example", PATIENT_PASSWORD, Role.PATIENT)
CAREGIVER = DemoLogin(
    "sam.lopez@demo.prescripcare.example", "demo-caregiver-passphrase", Role.CAREGIVER
)
LOGINS = (ADMIN, CLINICIAN, PATIENT, CAREGIVER)
