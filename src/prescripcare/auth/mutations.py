"""Account mutations: register, login, refreshToken, logout, createUser."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.auth.models import Role, User
from prescripcare.auth.service import Registration, SignedIn
from prescripcare.auth.types import (
    AuthPayload,
    CreateUserInput,
    CreateUserPayload,
    LogoutPayload,
    RefreshTokenPayload,
    RegisterInput,
    UserType,
)
from prescripcare.auth.viewer import Viewer
from prescripcare.graphql.errors import UserError, from_problem
from prescripcare.graphql.info import Info
from prescripcare.graphql.mutation import in_transaction


def _signed_in(info: Info, result: SignedIn | None, errors: list[UserError]) -> AuthPayload:
    if result is None:
        return AuthPayload(errors=errors)
    user = result.user
    info.context.act_as(Viewer(user_id=user.id, role=Role(user.role), email=user.email))
    return AuthPayload(
        access_token=result.tokens.access_token,
        refresh_token=result.tokens.refresh_token,
        user=UserType.from_model(result.user),
    )


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Sign up as a PATIENT (default) or CAREGIVER.")
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload | None:
        ctx = info.context
        data = Registration(
            email=input.email,
            password=input.password,
            name=input.name,
            role=Role(input.role) if input.role else Role.PATIENT,
            date_of_birth=input.date_of_birth,
            timezone=input.timezone,
        )

        async def work(session: AsyncSession) -> SignedIn:
            return await ctx.resources.auth.register(session, data, ctx.now())

        return _signed_in(info, *await in_transaction(ctx, work))

    @strawberry.mutation(
        description="An account with two-factor authentication also needs twoFactorCode "
        "(a TOTP code or an unused recovery code); without it the answer is "
        "TWO_FACTOR_REQUIRED and the client asks for the code and logs in again."
    )
    async def login(
        self, info: Info, email: str, password: str, two_factor_code: str | None = None
    ) -> AuthPayload | None:
        ctx = info.context

        async def work(session: AsyncSession) -> SignedIn:
            return await ctx.resources.auth.login(
                session, email, password, ctx.now(), two_factor_code
            )

        return _signed_in(info, *await in_transaction(ctx, work))

    @strawberry.mutation(
        description="Rotate a refresh token: the old one stops working. Reusing a rotated "
        "token revokes the whole login (TOKEN_REUSED)."
    )
    async def refresh_token(self, info: Info, refresh_token: str) -> RefreshTokenPayload | None:
        ctx = info.context
        # Committed even when refused: theft detection revokes the family.
        async with ctx.transaction() as session:
            outcome = await ctx.resources.auth.refresh(session, refresh_token, ctx.now())
        if outcome.problem is not None or outcome.tokens is None:
            assert outcome.problem is not None
            return RefreshTokenPayload(errors=[from_problem(outcome.problem)])
        return RefreshTokenPayload(
            access_token=outcome.tokens.access_token, refresh_token=outcome.tokens.refresh_token
        )

    @strawberry.mutation(description="End a login: revokes the refresh token's whole family.")
    async def logout(self, info: Info, refresh_token: str) -> LogoutPayload | None:
        ctx = info.context

        async def work(session: AsyncSession) -> None:
            await ctx.resources.auth.logout(session, refresh_token, ctx.now())

        _, errors = await in_transaction(ctx, work)
        return LogoutPayload(ok=not errors, errors=errors)

    @strawberry.mutation(description="ADMIN only: create a clinician, admin or caregiver.")
    async def create_user(self, info: Info, input: CreateUserInput) -> CreateUserPayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work(session: AsyncSession) -> User:
            return await ctx.resources.auth.create_user(
                session,
                viewer,
                input.email,
                input.password,
                Role(input.role),
                input.name,
                ctx.now(),
            )

        user, errors = await in_transaction(ctx, work)
        return CreateUserPayload(user=UserType.from_model(user) if user else None, errors=errors)
