"""`Idempotency-Key` on mutations: a retry replays the first answer.

A phone that loses its connection after sending `recordDose` cannot know
whether the dose was recorded; it retries with the same key and gets the
first response back, and the dose is recorded once. Keys belong to the
signed-in account and last IDEMPOTENCY_KEY_HOURS. In Redis, per key: a
pending marker (taken with SET NX, so two concurrent copies never both run)
and then the stored response, with a fingerprint of the operation and its
variables so the same key cannot be reused for a different request.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import orjson
from graphql import GraphQLError, OperationType, parse
from graphql.utilities import get_operation_ast
from redis.asyncio import Redis
from starlette.responses import Response

from prescripcare.encryption.envelope import DecryptionError, open_sealed, seal
from prescripcare.encryption.keys import Keyring
from prescripcare.errors import TopLevelCode
from prescripcare.redis import RedisKeys

HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
_VALID_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")
# Errors after which nothing was written and a retry must run again.
_RETRYABLE_CODES = {TopLevelCode.INTERNAL_SERVER_ERROR.value, TopLevelCode.RATE_LIMITED.value}
T = TypeVar("T")


def valid_key(key: str) -> bool:
    return bool(_VALID_KEY.match(key)) and key.strip() == key


def fingerprint(query: str, operation_name: object, variables: object) -> str:
    """The request as the server understood it: the document (also when sent
    by hash), the operation and the variables, whatever their key order."""
    canonical = orjson.dumps(
        {"query": query, "operationName": operation_name, "variables": variables or {}},
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(canonical).hexdigest()


def mutation_fingerprint(
    query: str, operation_name: object, variables: object, max_tokens: int
) -> str | None:
    """The fingerprint of a document whose operation is a mutation; None for
    a query, a subscription or a document that does not parse (execution
    then answers it as it always does, and a key means nothing for it)."""
    try:
        document = parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return None
    name = operation_name if isinstance(operation_name, str) else None
    operation = get_operation_ast(document, name)
    if operation is None or operation.operation is not OperationType.MUTATION:
        return None
    return fingerprint(query, operation_name, variables)


def error_response(
    status: int, code: TopLevelCode, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    error: dict[str, Any] = {"message": message, "extensions": {"code": code.value}}
    if code is TopLevelCode.BAD_USER_INPUT:
        error["extensions"]["field"] = "Idempotency-Key"
    return Response(
        orjson.dumps({"errors": [error]}),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


@dataclass(frozen=True, slots=True)
class Stored:
    """A GraphQL answer as kept in Redis: the same record whichever
    transport ran it, so a retry over HTTP replays an answer first sent on
    a socket and the other way round."""

    status: int
    content_type: str
    body: bytes

    def storable(self) -> bool:
        if self.status >= 500 or self.status == 429:
            return False
        try:
            errors = orjson.loads(self.body).get("errors") or []
        except (orjson.JSONDecodeError, AttributeError):
            return False
        return not any((e.get("extensions") or {}).get("code") in _RETRYABLE_CODES for e in errors)


class Answers(Protocol[T]):
    """How one transport turns its answers into stored records and back."""

    def stored(self, answer: T) -> Stored | None: ...

    def replay(self, stored: Stored) -> T: ...

    def refused(self, status: int, code: TopLevelCode, message: str) -> T: ...


class HTTPAnswers:
    def stored(self, answer: Response) -> Stored | None:
        body = getattr(answer, "body", None)
        if not isinstance(body, bytes):
            return None
        return Stored(answer.status_code, answer.media_type or "application/json", body)

    def replay(self, stored: Stored) -> Response:
        return Response(
            stored.body,
            status_code=stored.status,
            media_type=stored.content_type,
            headers={REPLAYED_HEADER: "true"},
        )

    def refused(self, status: int, code: TopLevelCode, message: str) -> Response:
        retry = {"Retry-After": "1"} if code is TopLevelCode.IDEMPOTENCY_KEY_IN_PROGRESS else None
        return error_response(status, code, message, headers=retry)


# The envelope binds each ciphertext to where it lives.
SEALED_AS = "redis.idempotency"


class IdempotencyStore:
    def __init__(
        self,
        redis: Redis,
        keys: RedisKeys,
        keyring: Keyring,
        *,
        ttl_seconds: int,
        lock_seconds: int = 60,
        wait_seconds: float = 5.0,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.keyring = keyring
        self.ttl_seconds = ttl_seconds
        self.lock_seconds = lock_seconds
        self.wait_seconds = wait_seconds

    def _seal(self, record: dict[str, object]) -> str:
        # A stored answer may name a patient's medicine: Redis holds it only
        # encrypted, under the same keys as the database's identifiers
        # (base64, as the client speaks text).
        sealed = seal(self.keyring, orjson.dumps(record), SEALED_AS)
        return base64.b64encode(sealed).decode()

    def _open(self, raw: str | bytes) -> dict[str, Any] | None:
        try:
            plain = open_sealed(self.keyring, base64.b64decode(raw), SEALED_AS)
        except (DecryptionError, binascii.Error):
            return None  # sealed under a key since retired
        record: dict[str, Any] = orjson.loads(plain)
        return record

    def _key(self, account: uuid.UUID, key: str) -> str:
        return self.keys.key("idempotency", str(account), hashlib.sha256(key.encode()).hexdigest())

    async def run(
        self,
        account: uuid.UUID,
        key: str,
        request_fingerprint: str,
        execute: Callable[[], Awaitable[Response]],
    ) -> Response:
        """An HTTP request's answer, executed once per (account, key)."""
        return await self.once(account, key, request_fingerprint, execute, HTTPAnswers())

    async def once(
        self,
        account: uuid.UUID,
        key: str,
        request_fingerprint: str,
        execute: Callable[[], Awaitable[T]],
        answers: Answers[T],
    ) -> T:
        """Execute once per (account, key); a copy that arrives while the
        first runs waits up to `wait_seconds` for its answer, then gets 409."""
        redis_key = self._key(account, key)
        pending = self._seal({"state": "pending", "fingerprint": request_fingerprint})
        deadline = time.monotonic() + self.wait_seconds
        while True:
            if await self.redis.set(redis_key, pending, nx=True, ex=self.lock_seconds):
                return await self._execute(redis_key, request_fingerprint, execute, answers)
            raw = await self.redis.get(redis_key)
            if raw is None:
                continue  # the first attempt failed and let go: run this one
            record = self._open(raw)
            if record is None or record["fingerprint"] != request_fingerprint:
                return answers.refused(
                    422,
                    TopLevelCode.IDEMPOTENCY_KEY_REUSED,
                    "This Idempotency-Key was used for a different request; use a new key.",
                )
            if record["state"] == "done":
                return answers.replay(
                    Stored(record["status"], record["contentType"], record["body"].encode())
                )
            if time.monotonic() >= deadline:
                return answers.refused(
                    409,
                    TopLevelCode.IDEMPOTENCY_KEY_IN_PROGRESS,
                    "A request with this Idempotency-Key is still running; retry shortly.",
                )
            await asyncio.sleep(0.05)

    async def _execute(
        self,
        redis_key: str,
        request_fingerprint: str,
        execute: Callable[[], Awaitable[T]],
        answers: Answers[T],
    ) -> T:
        try:
            answer = await execute()
        except Exception:
            # Refused before execution (a malformed body): nothing was
            # written. A cancelled request keeps its marker until it expires,
            # as it may have committed.
            await self.redis.delete(redis_key)
            raise
        stored = answers.stored(answer)
        if stored is None or not stored.storable():
            await self.redis.delete(redis_key)
            return answer
        record = {
            "state": "done",
            "fingerprint": request_fingerprint,
            "status": stored.status,
            "contentType": stored.content_type,
            "body": stored.body.decode(),
        }
        await self.redis.set(redis_key, self._seal(record), ex=self.ttl_seconds)
        return answer
