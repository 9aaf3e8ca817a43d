"""Short-lived signed links to one report, for apps that open it in a browser
(which cannot send a bearer header).

A link is a JWT under its own audience, so it is never taken for an access
token nor an access token for it. It names the login it was made from (used
again at download: a logout or a disabled account ends the link too), the
patient, the window and the language; visibility is checked again when the
link is used, so a caregiver unlinked meanwhile gets NOT_FOUND.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import jwt

ALGORITHM = "HS256"
AUDIENCE = "prescripcare-report-link"
_REQUIRED = ["exp", "aud", "sub", "sid", "pid", "from", "to", "lang"]


class InvalidLink(Exception):
    pass


@dataclass(frozen=True, slots=True)
class ReportLink:
    user_id: uuid.UUID
    family_id: uuid.UUID
    patient_id: uuid.UUID
    first: date
    last: date
    language: str
    expires_at: datetime


class LinkCodec:
    def __init__(self, secret: str, lifetime: timedelta) -> None:
        self._secret = secret
        self.lifetime = lifetime

    def sign(self, link: ReportLink) -> str:
        claims = {
            "aud": AUDIENCE,
            "sub": str(link.user_id),
            "sid": str(link.family_id),
            "pid": str(link.patient_id),
            "from": link.first.isoformat(),
            "to": link.last.isoformat(),
            "lang": link.language,
            "exp": int(link.expires_at.timestamp()),
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str, now: datetime) -> ReportLink:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                # Expiry against the application clock, below.
                options={"require": _REQUIRED, "verify_exp": False},
            )
            expires = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo)
            if expires <= now:
                raise InvalidLink("link expired")
            return ReportLink(
                user_id=uuid.UUID(str(claims["sub"])),
                family_id=uuid.UUID(str(claims["sid"])),
                patient_id=uuid.UUID(str(claims["pid"])),
                first=date.fromisoformat(str(claims["from"])),
                last=date.fromisoformat(str(claims["to"])),
                language=str(claims["lang"]),
                expires_at=expires,
            )
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as error:
            raise InvalidLink(str(error)) from error
