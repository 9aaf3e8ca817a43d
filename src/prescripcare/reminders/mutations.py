"""Push device registration."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.graphql.errors import UserError
from prescripcare.graphql.info import Info
from prescripcare.graphql.mutation import in_transaction
from prescripcare.reminders.devices import register_device, remove_device


@strawberry.type
class DevicePayload:
    ok: bool
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeviceMutation:
    @strawberry.mutation(
        description="The patient's app registers its push token (ios, android, web)."
    )
    async def register_device(self, info: Info, token: str, platform: str) -> DevicePayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work(session: AsyncSession) -> None:
            await register_device(session, viewer, token, platform, ctx.now())

        _, errors = await in_transaction(ctx, work)
        return DevicePayload(ok=not errors, errors=errors)

    @strawberry.mutation(
        description="The patient's app removes its push token (logout, uninstall)."
    )
    async def remove_device(self, info: Info, token: str) -> DevicePayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()
        now = ctx.now()

        async def work(session: AsyncSession) -> None:
            await remove_device(session, viewer, token, now)

        _, errors = await in_transaction(ctx, work)
        return DevicePayload(ok=not errors, errors=errors)
