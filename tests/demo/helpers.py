"""Signing in as a demo account without its password."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from prescripcare.auth.models import User
from prescripcare.resources import Resources


async def demo_token(resources: Resources, email: str) -> str:
    async with resources.sessions() as session:
        user = (
            await session.execute(select(User).where(col(User.email_blind_index) == email))
        ).scalar_one()
        token = (await resources.auth.sign_in(session, user, resources.clock.now())).access_token
        await session.commit()
    return token
