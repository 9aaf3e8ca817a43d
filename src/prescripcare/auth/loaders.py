"""Account loaders."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.auth.models import User
from prescripcare.loading import SessionLoader, one_per_key


class UserByIdLoader(SessionLoader[uuid.UUID, User | None]):
    """Users are only ever reached through something the viewer may see (their
    own account, a visible patient's caregivers or team), so no extra filter."""

    async def load_batch(self, session: AsyncSession, keys: list[uuid.UUID]) -> list[User | None]:
        rows = await session.scalars(select(User).where(col(User.id).in_(keys)))
        return one_per_key(keys, rows, lambda u: u.id)
