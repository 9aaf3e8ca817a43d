"""Building accounts and patients straight through the service layer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import jwt

from prescripcare.auth.models import Role
from prescripcare.auth.service import Registration
from prescripcare.auth.viewer import Viewer
from prescripcare.db import transaction
from prescripcare.patients import service as patients
from prescripcare.resources import Resources

PASSWORD = "correct horse battery staple"


@dataclass
class Account:
    id: uuid.UUID
    email: str
    role: Role
    token: str
    refresh_token: str
    patient_id: uuid.UUID | None = None
    resources: Resources | None = None

    @property
    def now_token(self) -> str:
        """An access token issued at the application clock's current time, for
        tests that move the clock further than a token lives."""
        assert self.resources is not None
        claims = self.resources.tokens.decode(self.token, _issued_at(self.token))
        return self.resources.tokens.issue(
            self.id, self.role, claims.family_id, self.resources.clock.now()
        )

    @property
    def viewer(self) -> Viewer:
        return Viewer(user_id=self.id, role=self.role, email=self.email)


def _issued_at(token: str) -> datetime:
    claims = jwt.decode(token, options={"verify_signature": False})
    return datetime.fromtimestamp(claims["iat"], tz=UTC)


def _email(role: Role) -> str:
    return f"{role.value.lower()}-{uuid.uuid4().hex[:8]}@clinic.example.org"


async def account(res: Resources, role: Role, *, timezone: str = "America/New_York") -> Account:
    now = res.clock.now()
    async with transaction(res.sessions) as session:
        if role in (Role.PATIENT, Role.CAREGIVER):
            signed = await res.auth.register(
                session,
                Registration(
                    email=_email(role),
                    password=PASSWORD,
                    name=f"Test {role.value.title()}",
                    role=role,
                    timezone=timezone if role is Role.PATIENT else None,
                    date_of_birth=date(1980, 5, 17) if role is Role.PATIENT else None,
                ),
                now,
            )
            user, tokens = signed.user, signed.tokens
        else:
            user = await res.auth.create_user(
                session, None, _email(role), PASSWORD, role, f"Test {role.value.title()}", now
            )
            tokens = await res.auth.sign_in(session, user, now)
        acct = Account(
            user.id, user.email, role, tokens.access_token, tokens.refresh_token, resources=res
        )
        if role is Role.PATIENT:
            own = await patients.patient_of_user(session, user.id)
            acct.patient_id = own.id if own else None
    return acct


async def patient(
    res: Resources, clinician: Account, name: str, *, timezone: str = "Europe/London"
) -> uuid.UUID:
    async with transaction(res.sessions) as session:
        created = await patients.create_patient(
            session,
            clinician.viewer,
            patients.NewPatient(name=name, date_of_birth=date(1970, 1, 1), timezone=timezone),
            res.clock.now(),
        )
    return created.id
