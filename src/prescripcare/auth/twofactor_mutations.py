"""Two-factor enrolment and management for the signed-in account."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.auth.mail import OutgoingMail
from prescripcare.auth.models import Role
from prescripcare.auth.notices import TwoFactorEvent
from prescripcare.auth.security_types import (
    EnrollTwoFactorPayload,
    OkPayload,
    RecoveryCodesPayload,
)
from prescripcare.auth.twofactor import Enrollment
from prescripcare.errors import not_found
from prescripcare.graphql.info import Info
from prescripcare.graphql.mutation import in_transaction
from prescripcare.ids import parse_uuid


@strawberry.type
class TwoFactorMutation:
    @strawberry.mutation(
        description="Start TOTP enrolment: a secret for an authenticator app. Nothing "
        "changes at login until confirmTwoFactor."
    )
    async def enroll_two_factor(self, info: Info) -> EnrollTwoFactorPayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work(session: AsyncSession) -> Enrollment:
            return await ctx.resources.auth.two_factor.enroll(session, viewer, ctx.now())

        enrolled, errors = await in_transaction(ctx, work)
        if enrolled is None:
            return EnrollTwoFactorPayload(errors=errors)
        return EnrollTwoFactorPayload(secret=enrolled.secret, otpauth_uri=enrolled.otpauth_uri)

    @strawberry.mutation(
        description="Switch two-factor on with a first code from the app; answers the "
        "recovery codes, shown only this once."
    )
    async def confirm_two_factor(self, info: Info, code: str) -> RecoveryCodesPayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()

        auth = ctx.resources.auth

        async def work(session: AsyncSession) -> tuple[list[str], OutgoingMail | None]:
            codes = await auth.two_factor.confirm(session, viewer, code, ctx.now())
            notice = await auth.notices.two_factor(
                session, viewer.user_id, TwoFactorEvent.ENABLED, ctx.now(), len(codes)
            )
            return codes, notice

        done, errors = await in_transaction(ctx, work)
        auth.notices.deliver(done[1] if done else None)
        return RecoveryCodesPayload(recovery_codes=done[0] if done else None, errors=errors)

    @strawberry.mutation(description="New recovery codes (the old ones stop working).")
    async def regenerate_recovery_codes(self, info: Info, code: str) -> RecoveryCodesPayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()
        auth = ctx.resources.auth

        async def work(session: AsyncSession) -> tuple[list[str], OutgoingMail | None]:
            codes = await auth.two_factor.regenerate_recovery_codes(
                session, viewer, code, ctx.now()
            )
            notice = await auth.notices.two_factor(
                session, viewer.user_id, TwoFactorEvent.CODES_REPLACED, ctx.now(), len(codes)
            )
            return codes, notice

        done, errors = await in_transaction(ctx, work)
        auth.notices.deliver(done[1] if done else None)
        return RecoveryCodesPayload(recovery_codes=done[0] if done else None, errors=errors)

    @strawberry.mutation(
        description="Switch two-factor off with a valid code. PATIENT and CAREGIVER only: "
        "clinicians and admins keep it (FORBIDDEN)."
    )
    async def disable_two_factor(self, info: Info, code: str) -> OkPayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()

        auth = ctx.resources.auth

        async def work(session: AsyncSession) -> OutgoingMail | None:
            await auth.two_factor.disable(session, viewer, code, ctx.now())
            return await auth.notices.two_factor(
                session, viewer.user_id, TwoFactorEvent.DISABLED, ctx.now()
            )

        notice, errors = await in_transaction(ctx, work)
        auth.notices.deliver(notice)
        return OkPayload(ok=not errors, errors=errors)

    @strawberry.mutation(
        description="ADMIN only: remove another account's two-factor (a lost device) and "
        "end its logins."
    )
    async def reset_two_factor(self, info: Info, user_id: strawberry.ID) -> OkPayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()
        viewer.require_role(Role.ADMIN)  # the role check comes first
        target = parse_uuid(user_id)

        auth = ctx.resources.auth

        async def work(session: AsyncSession) -> OutgoingMail | None:
            if target is None:
                raise not_found("User", "userId")
            await auth.two_factor.reset_for(session, viewer, target, ctx.now())
            return await auth.notices.two_factor(
                session, target, TwoFactorEvent.RESET_BY_ADMIN, ctx.now()
            )

        notice, errors = await in_transaction(ctx, work)
        auth.notices.deliver(notice)
        return OkPayload(ok=not errors, errors=errors)
