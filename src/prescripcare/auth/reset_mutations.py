"""requestPasswordReset and resetPassword: run without an access token."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.auth.mail import OutgoingMail
from prescripcare.auth.security_types import OkPayload
from prescripcare.graphql.info import Info
from prescripcare.graphql.mutation import in_transaction


@strawberry.type
class PasswordResetMutation:
    @strawberry.mutation(
        description="E-mail a one-time link to reset the password. Answers ok whether or "
        "not the address has an account."
    )
    async def request_password_reset(self, info: Info, email: str) -> OkPayload | None:
        ctx = info.context
        resets = ctx.resources.auth.resets

        async def work(session: AsyncSession) -> OutgoingMail | None:
            return await resets.request(session, email, ctx.now())

        mail, errors = await in_transaction(ctx, work)
        resets.deliver(mail)  # after the commit, so the link works when it arrives
        return OkPayload(ok=not errors, errors=errors)

    @strawberry.mutation(
        description="Set a new password with the e-mailed token; ends every login of the "
        "account. TOKEN_INVALID when expired, used or unknown."
    )
    async def reset_password(self, info: Info, token: str, new_password: str) -> OkPayload | None:
        ctx = info.context

        resets = ctx.resources.auth.resets

        async def work(session: AsyncSession) -> OutgoingMail:
            return await resets.reset(session, token, new_password, ctx.now())

        notice, errors = await in_transaction(ctx, work)
        resets.deliver(notice)
        return OkPayload(ok=not errors, errors=errors)
