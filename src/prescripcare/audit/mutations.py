"""The `breakGlass` mutation."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.audit.breakglass import open_grant
from prescripcare.audit.models import BreakGlassGrant
from prescripcare.audit.types import BreakGlassGrantType, BreakGlassPayload
from prescripcare.graphql.info import Info
from prescripcare.graphql.mutation import in_transaction


@strawberry.type
class AuditMutation:
    @strawberry.mutation(
        description="CLINICIAN only: open a patient outside your care team for "
        "BREAK_GLASS_MINUTES, stating why (at least 10 characters). Every access it "
        "enables is flagged in the patient's audit log."
    )
    async def break_glass(
        self, info: Info, patient_id: strawberry.ID, reason: str
    ) -> BreakGlassPayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()
        now = ctx.now()
        lifetime = ctx.resources.settings.break_glass

        async def work(session: AsyncSession) -> BreakGlassGrant:
            return await open_grant(session, viewer, patient_id, reason, now, lifetime)

        grant, errors = await in_transaction(ctx, work)
        return BreakGlassPayload(
            grant=BreakGlassGrantType.from_model(grant) if grant else None, errors=errors
        )
