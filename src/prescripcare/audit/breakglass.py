"""Break-glass: a clinician opens a patient outside their care team.

The reason is required and kept in the grant (free text may be personal
data); access lasts a set time; every access it enables is flagged in the
audit log with the grant's id. The grant opens reading and writing alike: in
an emergency the clinician may need to record a dose or stop a medicine, and
each such write is flagged too.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.audit.models import AuditAction, BreakGlassGrant
from prescripcare.audit.service import record
from prescripcare.auth.models import Role
from prescripcare.auth.viewer import Viewer
from prescripcare.errors import Problems, not_found
from prescripcare.ids import parse_uuid
from prescripcare.patients.models import Patient

MIN_REASON = 10
MAX_REASON = 1000


async def open_grant(
    session: AsyncSession,
    viewer: Viewer,
    patient_id: str,
    reason: str,
    now: datetime,
    lifetime: timedelta,
) -> BreakGlassGrant:
    viewer.require_role(Role.CLINICIAN)
    pid = parse_uuid(patient_id)
    # Any patient, not only visible ones: reaching outside the team is the point.
    found = (
        await session.scalar(select(col(Patient.id)).where(col(Patient.id) == pid))
        if pid is not None
        else None
    )
    if found is None:
        raise not_found("Patient", "patientId")
    problems = Problems()
    clean = " ".join(reason.split())
    if len(clean) < MIN_REASON:
        problems.invalid("reason", f"State why, in at least {MIN_REASON} characters.")
    elif len(clean) > MAX_REASON:
        problems.invalid("reason", f"A reason is at most {MAX_REASON} characters.")
    problems.raise_if_any()
    grant = BreakGlassGrant(
        id=uuid.uuid4(),
        patient_id=found,
        clinician_id=viewer.user_id,
        reason=clean,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(grant)
    await session.flush()
    await record(
        session, viewer, AuditAction.BREAK_GLASS_OPENED, "BreakGlassGrant", grant.id, found, now
    )
    return grant
