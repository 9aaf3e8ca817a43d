"""Reading the audit log as it is stored, and the contract's documents."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text

from prescripcare.resources import Resources

# The contract's document, verbatim.
AUDIT_LOG = """
query AuditLog($patientId: ID!, $first: Int, $after: String) {
  auditLog(patientId: $patientId, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { at action entity entityId actor { id email role } } }
  }
}"""

BREAK_GLASS = """
mutation BreakGlass($patientId: ID!, $reason: String!) {
  breakGlass(patientId: $patientId, reason: $reason) {
    grant { id expiresAt patient { id name } }
    errors { code field message }
  }
}"""

PATIENT = "query($id: ID!) { patient(id: $id) { id name } }"

# Why the emergency doctor breaks the glass.
REASON = "Unconscious in the emergency department, medication history needed"


@dataclass(frozen=True)
class Row:
    seq: int
    action: str
    entity: str
    entity_id: str | None
    actor_id: uuid.UUID | None
    actor_role: str | None
    patient_id: uuid.UUID | None
    request_id: str | None
    ip: str | None
    break_glass_grant_id: uuid.UUID | None


async def log_rows(res: Resources, patient_id: object | None = None) -> list[Row]:
    """The stored entries, oldest first; one patient's when given."""
    where = "WHERE patient_id = CAST(:pid AS uuid)" if patient_id is not None else ""
    async with res.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT seq, action, entity, entity_id, actor_id, actor_role, patient_id, "
                f"request_id, ip, break_glass_grant_id FROM audit_log {where} ORDER BY seq"
            ),
            {"pid": str(patient_id)} if patient_id is not None else {},
        )
        return [Row(*r) for r in rows]


async def actions(res: Resources, patient_id: object | None = None) -> list[str]:
    return [r.action for r in await log_rows(res, patient_id)]
