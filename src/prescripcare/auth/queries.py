"""Account queries."""

from __future__ import annotations

import strawberry

from prescripcare.auth.types import UserType
from prescripcare.graphql.context import Context
from prescripcare.graphql.info import Info


async def signed_in_user(ctx: Context) -> UserType | None:
    """`me`: the resolver's body, shared with its execution plan."""
    viewer = ctx.require_viewer()
    user = await ctx.loaders.user_by_id.load(viewer.user_id)
    return UserType.from_model(user) if user else None


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The signed-in account.")
    async def me(self, info: Info) -> UserType | None:
        return await signed_in_user(info.context)
