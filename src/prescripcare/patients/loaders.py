"""Patient loaders; every one filters with the viewer's visibility clause."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.audit.reads import ReadLog
from prescripcare.auth.models import User
from prescripcare.auth.viewer import Viewer
from prescripcare.db import SessionFactory
from prescripcare.loading import AnySelect, SessionLoader, any_of, many_per_key, one_per_key
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import CaregiverLink, CareTeamMember, Patient


class _AuditedPatientLoader(SessionLoader[uuid.UUID, Patient | None]):
    """Every patient it returns is a record read, noted for the audit log."""

    def __init__(
        self, sessions: SessionFactory, viewer: Viewer | None, reads: ReadLog | None = None
    ) -> None:
        super().__init__(sessions, viewer)
        self.reads = reads

    def noted(self, patients: list[Patient | None]) -> list[Patient | None]:
        if self.reads is not None:
            self.reads.add_many(p.id for p in patients if p is not None)
        return patients


class PatientByIdLoader(_AuditedPatientLoader):
    async def load_batch(
        self, session: AsyncSession, keys: list[uuid.UUID]
    ) -> list[Patient | None]:
        if self.viewer is None:
            return [None] * len(keys)
        rows = await session.scalars(
            select(Patient).where(col(Patient.id).in_(keys), visible_patients(self.viewer))
        )
        return self.noted(one_per_key(keys, rows, lambda p: p.id))


class PatientByUserIdLoader(_AuditedPatientLoader):
    async def load_batch(
        self, session: AsyncSession, keys: list[uuid.UUID]
    ) -> list[Patient | None]:
        if self.viewer is None:
            return [None] * len(keys)
        rows = await session.scalars(
            select(Patient).where(col(Patient.user_id).in_(keys), visible_patients(self.viewer))
        )
        return self.noted(one_per_key(keys, rows, lambda p: p.user_id))


class _LinkedUsersByPatientIdLoader(SessionLoader[uuid.UUID, list[User]]):
    """Users attached to a patient through a link table, ordered by e-mail
    (in Python: the stored address is encrypted)."""

    link: type[CaregiverLink] | type[CareTeamMember]
    user_column: str

    async def load_batch(self, session: AsyncSession, keys: list[uuid.UUID]) -> list[list[User]]:
        if self.viewer is None:
            return [[] for _ in keys]
        rows = await session.execute(
            linked_users(self.link, self.user_column, self.viewer), {"patient_ids": list(keys)}
        )
        return users_per_patient(keys, ((row[0], row[1]) for row in rows))


def linked_users(
    link: type[CaregiverLink] | type[CareTeamMember], user_column: str, viewer: Viewer
) -> AnySelect:
    """(patient id, user) of the patients `:patient_ids` the viewer may see."""
    patient_id = col(link.patient_id)
    return (
        select(patient_id, User)
        .join(User, col(User.id) == getattr(link, user_column))
        .join(Patient, col(Patient.id) == patient_id)
        .where(patient_id == any_of("patient_ids", uuid.UUID), visible_patients(viewer))
    )


def caregivers_of_patients(viewer: Viewer) -> AnySelect:
    return linked_users(CaregiverLink, "caregiver_id", viewer)


def users_per_patient(
    keys: Sequence[uuid.UUID], pairs: Iterable[tuple[uuid.UUID, Any]]
) -> list[list[Any]]:
    """Each patient's users, ordered by e-mail (in Python: the stored
    address is encrypted)."""
    ordered = sorted(pairs, key=lambda r: (r[1].email, r[1].id))
    return [[u for _, u in group] for group in many_per_key(keys, ordered, lambda r: r[0])]


class CaregiversByPatientIdLoader(_LinkedUsersByPatientIdLoader):
    link = CaregiverLink
    user_column = "caregiver_id"


class CareTeamByPatientIdLoader(_LinkedUsersByPatientIdLoader):
    link = CareTeamMember
    user_column = "user_id"
