"""Account queries."""

from __future__ import annotations

import strawberry

from prescripcare.auth.types import UserType
from prescripcare.graphql.info import Info


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The signed-in account.")
    async def me(self, info: Info) -> UserType | None:
        viewer = info.context.require_viewer()
        user = await info.context.loaders.user_by_id.load(viewer.user_id)
        return UserType.from_model(user) if user else None
