"""GraphQL types of the audit trail and break-glass grants."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from prescripcare.audit.models import AuditEntry, BreakGlassGrant
from prescripcare.auth.types import UserType
from prescripcare.graphql.errors import UserError
from prescripcare.graphql.info import Info
from prescripcare.graphql.pagination import PageInfo

if TYPE_CHECKING:
    from prescripcare.patients.types import PatientType

PatientRef = Annotated["PatientType", strawberry.lazy("prescripcare.patients.types")]


@strawberry.type(name="AuditEntry", description="One read or write of a patient's record.")
class AuditEntryType:
    at: datetime
    action: str = strawberry.field(description="PATIENT_READ, PRESCRIPTION_CREATED, ...")
    entity: str = strawberry.field(description="The kind of record acted on: Patient, Dose, ...")
    entity_id: strawberry.ID | None
    actor_role: str | None = strawberry.field(
        description="The actor's role at the time (OPERATOR for the command line)."
    )
    break_glass: bool = strawberry.field(
        description="The access was possible only through a break-glass grant."
    )
    _actor_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, entry: AuditEntry) -> AuditEntryType:
        return cls(
            at=entry.at,
            action=entry.action,
            entity=entry.entity,
            entity_id=strawberry.ID(entry.entity_id) if entry.entity_id else None,
            actor_role=entry.actor_role,
            break_glass=entry.break_glass_grant_id is not None,
            _actor_id=entry.actor_id,
        )

    @strawberry.field(
        description="Who acted, looked up now: null for the command line or an erased account."
    )
    async def actor(self, info: Info) -> UserType | None:
        if self._actor_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self._actor_id)
        return UserType.from_model(user) if user else None


@strawberry.type
class AuditEntryEdge:
    cursor: str
    node: AuditEntryType


@strawberry.type
class AuditLogConnection:
    edges: list[AuditEntryEdge]
    page_info: PageInfo


@strawberry.type(name="BreakGlassGrant")
class BreakGlassGrantType:
    id: strawberry.ID
    expires_at: datetime
    _patient_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, grant: BreakGlassGrant) -> BreakGlassGrantType:
        return cls(
            id=strawberry.ID(str(grant.id)),
            expires_at=grant.expires_at,
            _patient_id=grant.patient_id,
        )

    @strawberry.field(description="The patient now open to the clinician (a flagged read).")
    async def patient(self, info: Info) -> PatientRef | None:
        from prescripcare.patients.types import PatientType

        found = await info.context.loaders.patient_by_id.load(self._patient_id)
        return PatientType.from_model(found) if found else None


@strawberry.type
class BreakGlassPayload:
    grant: BreakGlassGrantType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
