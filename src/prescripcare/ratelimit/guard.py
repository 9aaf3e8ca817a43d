"""The limits a request is held to, decided before anything executes.

Every request costs one in its client IP's bucket and, when signed in, one
in its account's. Each authentication field (login, register, refreshToken,
the password reset and two-factor fields) costs one more in the IP's
stricter auth bucket; fields aimed at one account (the login e-mail, the
reset e-mail, the two-factor viewer) also cost one in that account's bucket
from this IP and in its bucket from everywhere. E-mails appear in keys only
as hashes.
"""

from __future__ import annotations

import hashlib
import logging
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from prescripcare.clock import Clock
from prescripcare.ratelimit.fields import RootField, root_fields
from prescripcare.ratelimit.gcra import Hit, RateLimiter
from prescripcare.ratelimit.rate import Rate
from prescripcare.redis import RedisKeys
from prescripcare.settings import Settings

log = logging.getLogger("prescripcare.ratelimit")

AUTH_FIELDS = frozenset(
    {
        "login",
        "register",
        "refreshToken",
        "requestPasswordReset",
        "resetPassword",
        "enrollTwoFactor",
        "confirmTwoFactor",
        "disableTwoFactor",
    }
)
# Fields whose target is the signed-in account itself (a code being guessed).
_VIEWER_TARGETED = frozenset({"enrollTwoFactor", "confirmTwoFactor", "disableTwoFactor"})


class RateLimited(Exception):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"rate limited; retry after {retry_after_seconds}s")
        self.retry_after = retry_after_seconds


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    query: str | None
    variables: Mapping[str, Any] | None
    operation_name: str | None


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _target_email(field: RootField) -> str | None:
    if field.name in ("login", "requestPasswordReset"):
        email = field.arguments.get("email")
    elif field.name == "register":
        data = field.arguments.get("input")
        email = data.get("email") if isinstance(data, dict) else None
    else:
        return None
    return email if isinstance(email, str) and email.strip() else None


class RequestGuard:
    def __init__(self, settings: Settings, redis: Redis, keys: RedisKeys, clock: Clock) -> None:
        self.enabled = settings.rate_limits_on
        self._keys = keys
        self._clock = clock
        self._limiter = RateLimiter(redis)
        self._max_tokens = settings.graphql_max_tokens
        self._ip = Rate.parse(settings.rate_limit_ip)
        self._account = Rate.parse(settings.rate_limit_account)
        self._auth_ip = Rate.parse(settings.rate_limit_auth_ip)
        self._target_ip = Rate.parse(settings.rate_limit_target_ip)
        self._target = Rate.parse(settings.rate_limit_target)
        self._reset_email = Rate.parse(settings.rate_limit_reset_email)

    def _key(self, *parts: str) -> str:
        return self._keys.key("ratelimit", *parts)

    def hits(
        self, ip: str, viewer_id: uuid.UUID | None, requests: list[GraphQLRequest]
    ) -> list[Hit]:
        hits = [Hit(self._key("ip", ip), self._ip)]
        if viewer_id is not None:
            hits.append(Hit(self._key("account", str(viewer_id)), self._account))
        for request in requests:
            for field in root_fields(
                request.query, request.variables, request.operation_name, self._max_tokens
            ):
                hits += self._field_hits(ip, viewer_id, field)
        return hits

    def _field_hits(self, ip: str, viewer_id: uuid.UUID | None, field: RootField) -> list[Hit]:
        if field.name not in AUTH_FIELDS:
            return []
        hits = [Hit(self._key("auth-ip", ip), self._auth_ip)]
        target: str | None = None
        email = _target_email(field)
        if email is not None:
            target = "email-" + _digest(email)
        elif field.name in _VIEWER_TARGETED and viewer_id is not None:
            target = "user-" + str(viewer_id)
        if target is not None:
            hits.append(Hit(self._key("target-ip", target, ip), self._target_ip))
            hits.append(Hit(self._key("target", target), self._target))
        if field.name == "requestPasswordReset" and email is not None:
            hits.append(Hit(self._key("reset", _digest(email)), self._reset_email))
        return hits

    async def check(
        self, ip: str, viewer_id: uuid.UUID | None, requests: list[GraphQLRequest]
    ) -> None:
        """Counts the request, or raises RateLimited (and counts nothing)."""
        if not self.enabled:
            return
        now_ms = int(self._clock.now().timestamp() * 1000)
        try:
            wait_ms = await self._limiter.acquire(self.hits(ip, viewer_id, requests), now_ms)
        except RedisError:
            # Fail open: a Redis outage must not take every patient's
            # reminders and records offline; the passwords stay Argon2id-slow
            # and the outage is what gets paged.
            log.exception("rate limits not checked: Redis unavailable")
            return
        if wait_ms > 0:
            raise RateLimited(max(1, math.ceil(wait_ms / 1000)))
