"""Who is asking: the authenticated user behind a request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.auth.models import RefreshToken, Role, User
from prescripcare.auth.tokens import AccessTokenCodec, InvalidAccessToken
from prescripcare.errors import AccessDenied


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: uuid.UUID
    role: Role
    email: str
    family_id: uuid.UUID | None = None
    token_expires_at: datetime | None = None
    # When the request began: break-glass grants unexpired then count. None
    # (a viewer built outside a request) counts no grant.
    at: datetime | None = None

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            raise AccessDenied(f"The {self.role.value} role may not do this.")


async def viewer_from_token(
    session: AsyncSession, codec: AccessTokenCodec, token: str, now: datetime
) -> Viewer | None:
    """The viewer for a bearer token, or None when it is not valid now.

    One statement checks the account still exists and is enabled and that the
    token's login (refresh family) was not revoked by logout or theft
    detection, so a logout takes effect at once, not when the JWT expires.
    """
    try:
        claims = codec.decode(token, now)
    except InvalidAccessToken:
        return None
    return await load_viewer(session, claims.user_id, claims.family_id, now, claims.expires_at)


async def load_viewer(
    session: AsyncSession,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    now: datetime,
    expires_at: datetime | None = None,
) -> Viewer | None:
    """The viewer of a login, or None when the account is gone or disabled or
    the login was revoked: also for credentials minted from an access token
    (a report link), so logging out ends them too."""
    revoked = exists().where(
        col(RefreshToken.family_id) == family_id,
        col(RefreshToken.revoked_at).is_not(None),
    )
    row = (
        await session.execute(
            select(col(User.id), col(User.role), col(User.email)).where(
                col(User.id) == user_id,
                col(User.disabled_at).is_(None),
                ~revoked,
            )
        )
    ).first()
    if row is None:
        return None
    return Viewer(
        user_id=row.id,
        role=Role(row.role),
        email=row.email,
        family_id=family_id,
        token_expires_at=expires_at,
        at=now,
    )
