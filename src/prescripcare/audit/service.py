"""Writing the audit log. Every mutation service calls `record` inside its
own transaction, so an entry exists exactly when the write committed; reads
are written in a batch by `record_reads`.

Entries carry identifiers only. The request id and client address come from
the request's context variables (none for the worker and the CLI).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    ScalarSelect,
    String,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.audit.models import RECORDED_FIELDS, AuditAction, AuditEntry, BreakGlassGrant
from prescripcare.auth.models import Role
from prescripcare.auth.viewer import Viewer
from prescripcare.patients.models import CareTeamMember
from prescripcare.requestid import current_client_ip, current_request_id

# An actor without an account: the operator's CLI.
OPERATOR = "OPERATOR"

ENTITY_OF_READ = {
    AuditAction.PATIENT_READ: "Patient",
    AuditAction.PATIENT_SUBSCRIBED: "Patient",
    AuditAction.AUDIT_LOG_READ: "AuditLog",
}


def _origin() -> tuple[str | None, str | None]:
    request_id = current_request_id.get()
    return (None if request_id == "-" else request_id), current_client_ip.get()


def grant_used(viewer: Viewer | None, patient_id: Any, at: datetime) -> Any:
    """The break-glass grant an access relied on, as SQL: the clinician's
    unexpired grant for the patient when they are not on the care team."""
    if viewer is None or viewer.role is not Role.CLINICIAN:
        return None
    return _grant_of(literal(viewer.user_id, UUID), patient_id, literal(at))


def _grant_of(clinician_id: Any, patient_id: Any, at: Any) -> ScalarSelect[Any]:
    # Correlated to the statement the patient id comes from, however deep.
    on_team = (
        exists()
        .where(
            col(CareTeamMember.patient_id) == patient_id,
            col(CareTeamMember.user_id) == clinician_id,
        )
        .correlate_except(CareTeamMember)
    )
    grant: ScalarSelect[Any] = (
        select(col(BreakGlassGrant.id))
        .where(
            col(BreakGlassGrant.clinician_id) == clinician_id,
            col(BreakGlassGrant.patient_id) == patient_id,
            col(BreakGlassGrant.expires_at) > at,
            ~on_team,
        )
        .order_by(col(BreakGlassGrant.expires_at).desc())
        .limit(1)
        .correlate_except(BreakGlassGrant)
        .scalar_subquery()
    )
    return grant


async def record(
    session: AsyncSession,
    viewer: Viewer | None,
    action: AuditAction,
    entity: str,
    entity_id: uuid.UUID | str | None,
    patient_id: uuid.UUID | None,
    at: datetime,
) -> None:
    """One entry for a write, in the writer's transaction: rolled back with it."""
    request_id, ip = _origin()
    await session.execute(
        insert(AuditEntry).values(
            at=at,
            actor_id=viewer.user_id if viewer else None,
            actor_role=viewer.role.value if viewer else OPERATOR,
            action=action.value,
            entity=entity,
            entity_id=str(entity_id) if entity_id is not None else None,
            patient_id=patient_id,
            request_id=request_id,
            ip=ip,
            break_glass_grant_id=(
                grant_used(viewer, literal(patient_id, UUID), at) if patient_id else None
            ),
        )
    )


async def record_reads(
    session: AsyncSession,
    viewer: Viewer,
    reads: Sequence[tuple[uuid.UUID, AuditAction]],
    at: datetime,
) -> None:
    """One entry per (patient, action), in one INSERT ... SELECT."""
    if not reads:
        return
    request_id, ip = _origin()
    rows = (
        func.unnest(
            bindparam("patient_ids", [p for p, _ in reads], type_=ARRAY(UUID)),
            bindparam("actions", [a.value for _, a in reads], type_=ARRAY(String)),
            bindparam("entities", [ENTITY_OF_READ[a] for _, a in reads], type_=ARRAY(String)),
        )
        .table_valued("patient_id", "action", "entity")
        .render_derived()
    )
    pid = rows.c.patient_id
    source = select(
        literal(at),
        literal(viewer.user_id, UUID),
        literal(viewer.role.value),
        rows.c.action,
        rows.c.entity,
        func.cast(pid, String),
        pid,
        literal(request_id, String),
        literal(ip, String),
        grant_used(viewer, pid, at) if viewer.role is Role.CLINICIAN else literal(None, UUID),
    )
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    await session.execute(insert(table).from_select(list(RECORDED_FIELDS), source))


@dataclass(frozen=True)
class Reading:
    """One caller's reads, with the origin it would have recorded alone."""

    viewer: Viewer
    reads: Sequence[tuple[uuid.UUID, AuditAction]]
    at: datetime
    request_id: str | None
    ip: str | None


async def record_readings(session: AsyncSession, readings: Sequence[Reading]) -> None:
    """Many callers' reads in one INSERT ... SELECT: per row the entry
    `record_reads` writes for that caller (its twin in
    tests/audit/test_read_batch.py)."""
    rows_of = [(one, patient, action) for one in readings for patient, action in one.reads]
    if not rows_of:
        return

    def column(name: str, values: list[Any], kind: Any) -> Any:
        return bindparam(name, values, type_=ARRAY(kind))

    rows = (
        func.unnest(
            column("patient_ids", [p for _, p, _ in rows_of], UUID),
            column("actions", [a.value for _, _, a in rows_of], String),
            column("entities", [ENTITY_OF_READ[a] for _, _, a in rows_of], String),
            column("actor_ids", [o.viewer.user_id for o, _, _ in rows_of], UUID),
            column("roles", [o.viewer.role.value for o, _, _ in rows_of], String),
            column("ats", [o.at for o, _, _ in rows_of], DateTime(timezone=True)),
            column("request_ids", [o.request_id for o, _, _ in rows_of], String),
            column("ips", [o.ip for o, _, _ in rows_of], String),
        )
        .table_valued(
            "patient_id", "action", "entity", "actor_id", "role", "at", "request_id", "ip"
        )
        .render_derived()
    )
    c = rows.c
    source = select(
        c.at,
        c.actor_id,
        c.role,
        c.action,
        c.entity,
        func.cast(c.patient_id, String),
        c.patient_id,
        c.request_id,
        c.ip,
        case(
            (c.role == Role.CLINICIAN.value, _grant_of(c.actor_id, c.patient_id, c.at)),
            else_=literal(None, UUID),
        ),
    )
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    await session.execute(insert(table).from_select(list(RECORDED_FIELDS), source))
