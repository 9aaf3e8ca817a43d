"""The signed-in account's two-factor state, for its settings screen."""

from __future__ import annotations

import strawberry

from prescripcare.graphql.info import Info


@strawberry.type
class TwoFactorStatus:
    enabled: bool = strawberry.field(description="Logins need a code.")
    pending: bool = strawberry.field(description="Enrolled, waiting for confirmTwoFactor.")
    recovery_codes_left: int


@strawberry.type
class TwoFactorQuery:
    @strawberry.field(description="Two-factor authentication of the signed-in account.")
    async def two_factor(self, info: Info) -> TwoFactorStatus | None:
        ctx = info.context
        viewer = ctx.require_viewer()
        async with ctx.resources.sessions() as session:
            found = await ctx.resources.auth.two_factor.status(session, viewer.user_id)
        return TwoFactorStatus(
            enabled=found.enabled,
            pending=found.pending,
            recovery_codes_left=found.recovery_codes_left,
        )
