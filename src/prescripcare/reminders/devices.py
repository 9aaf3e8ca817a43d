"""Push device tokens: registered by the patient's app, looked up at send time,
forgotten when FCM says the app no longer holds them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.audit.models import AuditAction
from prescripcare.audit.service import record
from prescripcare.auth.models import Role
from prescripcare.auth.viewer import Viewer
from prescripcare.db import SessionFactory, transaction
from prescripcare.errors import Problems, not_found
from prescripcare.notifications.message import Message
from prescripcare.patients.models import Patient
from prescripcare.patients.service import patient_of_user
from prescripcare.reminders.consent import DeviceToken

PLATFORMS = ("ios", "android", "web")


class DeviceDirectory:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    async def tokens_for(self, message: Message) -> list[str]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(col(DeviceToken.token)).where(
                    col(DeviceToken.patient_id) == message.patient_id
                )
            )
            return list(rows)

    async def forget(self, token: str) -> None:
        async with transaction(self.sessions) as session:
            await session.execute(delete(DeviceToken).where(col(DeviceToken.token) == token))


async def _own_patient(session: AsyncSession, viewer: Viewer) -> Patient:
    viewer.require_role(Role.PATIENT)
    patient = await patient_of_user(session, viewer.user_id)
    if patient is None:
        raise not_found("Patient")
    return patient


async def register_device(
    session: AsyncSession, viewer: Viewer, token: str, platform: str, now: datetime
) -> None:
    patient = await _own_patient(session, viewer)
    problems = Problems()
    if not token.strip() or len(token) > 4096:
        problems.invalid("token", "A push token is 1 to 4096 characters.")
    if platform not in PLATFORMS:
        problems.invalid("platform", f"Platform is one of {', '.join(PLATFORMS)}.")
    problems.raise_if_any()
    # A token moves with its phone: registering it again gives it to this patient.
    await session.execute(
        insert(DeviceToken)
        .values(
            token=token.strip(),
            patient_id=patient.id,
            platform=platform,
            registered_by=viewer.user_id,
            created_at=now,
        )
        .on_conflict_do_update(
            index_elements=["token"], set_={"patient_id": patient.id, "platform": platform}
        )
    )
    # The token itself stays out of the log: it addresses the patient's phone.
    await record(
        session, viewer, AuditAction.DEVICE_REGISTERED, "DeviceToken", None, patient.id, now
    )


async def remove_device(session: AsyncSession, viewer: Viewer, token: str, now: datetime) -> None:
    patient = await _own_patient(session, viewer)
    result = await session.execute(
        delete(DeviceToken).where(
            col(DeviceToken.token) == token.strip(), col(DeviceToken.patient_id) == patient.id
        )
    )
    if not getattr(result, "rowcount", 0):
        raise not_found("Device", "token")
    await record(session, viewer, AuditAction.DEVICE_REMOVED, "DeviceToken", None, patient.id, now)
