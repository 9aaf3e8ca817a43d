"""Access tokens (JWT) and refresh tokens (opaque, stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from prescripcare.auth.models import Role
from prescripcare.settings import Settings

ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "jti", "sid", "role"]


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    role: Role
    family_id: uuid.UUID
    expires_at: datetime


class InvalidAccessToken(Exception):
    pass


class AccessTokenCodec:
    def __init__(self, settings: Settings) -> None:
        self._secret = settings.signing_secret
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self.lifetime = timedelta(minutes=settings.access_token_minutes)

    def issue(self, user_id: uuid.UUID, role: Role, family_id: uuid.UUID, now: datetime) -> str:
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": str(user_id),
            "role": role.value,
            "sid": str(family_id),
            "jti": str(uuid.uuid4()),
            "iat": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def decode(self, token: str, now: datetime) -> AccessClaims:
        try:
            # Expiry is checked against the application clock below, not the
            # system clock pyjwt would use; the algorithm is pinned.
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": _REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
            )
            expires = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo)
            if expires <= now:
                raise InvalidAccessToken("token expired")
            return AccessClaims(
                user_id=uuid.UUID(str(claims["sub"])),
                role=Role(claims["role"]),
                family_id=uuid.UUID(str(claims["sid"])),
                expires_at=expires,
            )
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
            raise InvalidAccessToken(str(exc)) from exc


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    # A refresh token carries 256 random bits, so a fast hash is enough: there
    # is nothing to brute-force, only a database leak to make useless.
    return hashlib.sha256(token.encode()).hexdigest()
