"""Our graphql-transport-ws handler: each operation on a socket is admitted
as an HTTP request is, at the moment it starts (docs/security.md).

- The session: the connection_init token is checked again before every
  operation and, while operations run, every GRAPHQL_WS_SESSION_CHECK_SECONDS
  (its expiry every second, without a query). A session that has ended
  (logout, a password or two-factor reset, account disabled or erased, token
  expired) closes the socket with 4403 whatever it runs; the client
  reconnects with a fresh token.
- Admission (graphql/admission.py, shared with HTTP): trusted documents and
  rate limits, keyed by the account and the socket's client address.
- Each operation gets a Context of its own (loaders, read log), so nothing
  read for one operation is served to the next and its audit is its own.
- Idempotency: a mutation whose subscribe payload carries
  `extensions.idempotencyKey` runs once per key, like the HTTP header.
- Masking: every error passes the same presenter as HTTP answers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import suppress
from typing import Any

import orjson
from strawberry.schema.schema import StreamResult
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.utils.aio import aclosing

from prescripcare.auth.bearer import bearer_token
from prescripcare.auth.viewer import Viewer
from prescripcare.errors import TopLevelCode
from prescripcare.graphql import idempotency
from prescripcare.graphql.admission import Admission
from prescripcare.graphql.admission import Operation as Sent
from prescripcare.graphql.context import Context, authenticate, context_for
from prescripcare.graphql.idempotency import IdempotencyStore, Stored
from prescripcare.graphql.presenter import present
from prescripcare.graphql.trusted import Refusal
from prescripcare.ratelimit.guard import RateLimited
from prescripcare.ratelimit.http import client_ip, rate_limited_error

log = logging.getLogger("prescripcare.graphql.socket")

SESSION_ENDED = 4403
# How often a socket looks at its token's expiry (a clock read, no query).
EXPIRY_TICK_SECONDS = 1.0
IDEMPOTENCY_EXTENSION = "idempotencyKey"


def socket_token(params: Mapping[str, object] | None) -> str | None:
    """The bearer token of connection_init ({"authorization": "Bearer ..."})."""
    params = params or {}
    header = params.get("authorization") or params.get("Authorization")
    return bearer_token(header) if isinstance(header, str) else None


class SocketOperation(Operation[Context, None]):
    __slots__ = ("extensions", "received_ms")

    def __init__(
        self,
        handler: GuardedTransportWSHandler,
        id: str,
        payload: Mapping[str, Any],
    ) -> None:
        query = payload.get("query")
        variables = payload.get("variables")
        name = payload.get("operationName")
        extensions = payload.get("extensions")
        super().__init__(
            handler,
            id,
            query if isinstance(query, str) else "",
            variables if isinstance(variables, dict) else None,
            name if isinstance(name, str) else None,
        )
        self.extensions: Mapping[str, Any] | None = (
            extensions if isinstance(extensions, dict) else None
        )
        self.received_ms = time.time_ns() // 1_000_000
        # The text as sent (None when only a persisted-query hash came).
        self.query = query if isinstance(query, str) else None  # type: ignore[assignment]


class SocketAnswers:
    """An idempotent mutation's answer on a socket: a `next` payload (what
    is stored, in the same record as an HTTP answer) or an `error` list."""

    def stored(self, answer: tuple[str, Any]) -> Stored | None:
        kind, payload = answer
        if kind != "next":
            return None
        return Stored(200, "application/json", orjson.dumps(payload))

    def replay(self, stored: Stored) -> tuple[str, Any]:
        payload = orjson.loads(stored.body)
        payload["extensions"] = {**(payload.get("extensions") or {}), "idempotentReplayed": True}
        return "next", payload

    def refused(self, status: int, code: TopLevelCode, message: str) -> tuple[str, Any]:
        return "error", [{"message": message, "extensions": {"code": code.value}}]


def _error(code: TopLevelCode, message: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code.value}}


class GuardedTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    # Set by the view: the checks HTTP requests pass, and its replay store.
    admission: Admission
    idempotency: IdempotencyStore

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watchdog: asyncio.Task[None] | None = None
        self.ending = False

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self.watchdog is None:
            self.watchdog = asyncio.create_task(self._watch_session())

    async def shutdown(self) -> None:
        if self.watchdog is not None and self.watchdog is not asyncio.current_task():
            self.watchdog.cancel()
            with suppress(asyncio.CancelledError):
                await self.watchdog
        await super().shutdown()

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if not self.connection_acknowledged:
            await self.websocket.close(code=4401, reason="Unauthorized")
            return
        if message["id"] in self.operations:
            reason = f"Subscriber for {message['id']} already exists"
            await self.websocket.close(code=4409, reason=reason)
            return
        payload = message["payload"]
        if not isinstance(payload, dict):
            await self.handle_invalid_message("Failed to parse message")
            return
        operation = SocketOperation(self, message["id"], payload)
        operation.task = asyncio.create_task(self.run_operation(operation))
        operation.task.add_done_callback(self._task_done)
        self.operations[message["id"]] = operation

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """Strawberry's run_operation, with each operation admitted first
        and run in its own context."""
        assert isinstance(operation, SocketOperation)
        try:
            context = await self._admit(operation)
            if context is None:
                return
            key = (operation.extensions or {}).get(IDEMPOTENCY_EXTENSION)
            if key is not None and await self._run_once(operation, context, key):
                return
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except Exception as error:
            await self.handle_task_exception(error)
            with suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise

    async def _admit(self, operation: SocketOperation) -> Context | None:
        """The operation's context once the session, the trusted documents
        and the rate limits allow it; None once refused (answered, or the
        socket closed)."""
        resources = self.context.resources
        token = socket_token(self.context.connection_params)
        viewer = await authenticate(resources, token) if token else None
        if viewer is None:
            await self.end_session()
            return None
        sent = Sent(
            operation.query, operation.variables, operation.operation_name, operation.extensions
        )
        try:
            outcome = await self.admission.admit(client_ip(self.context.request), viewer, sent)
        except RateLimited as limited:
            await self._refuse(operation, [rate_limited_error(limited.retry_after)])
            return None
        if isinstance(outcome, Refusal):
            await self._refuse(operation, [outcome.error().formatted])
            return None
        if outcome is None:
            message = "No GraphQL query found in the request."
            await self._refuse(operation, [_error(TopLevelCode.BAD_REQUEST, message)])
            return None
        operation.query = outcome
        context = context_for(
            resources,
            self.context.request,
            None,
            viewer,
            connection_params=self.context.connection_params,
        )
        context.received_ms = operation.received_ms
        return context

    async def _refuse(self, operation: Operation[Context, None], errors: list[Any]) -> None:
        await operation.send_operation_message(
            {"id": operation.id, "type": "error", "payload": errors}
        )

    async def _run_once(self, operation: SocketOperation, context: Context, key: object) -> bool:
        """A mutation with an idempotency key: executed once per (account,
        key), its answer replayed to a retry. False: not a mutation, so the
        key means nothing and the operation runs as usual."""
        if not isinstance(key, str) or not idempotency.valid_key(key):
            message = "idempotencyKey must be 1 to 255 printable ASCII characters."
            await self._refuse(operation, [_error(TopLevelCode.BAD_USER_INPUT, message)])
            return True
        assert context.viewer is not None and operation.query is not None
        fingerprint = idempotency.mutation_fingerprint(
            operation.query,
            operation.operation_name,
            operation.variables,
            context.resources.settings.graphql_max_tokens,
        )
        if fingerprint is None:
            return False

        async def execute() -> tuple[str, Any]:
            result = await self.schema.execute(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            payload: dict[str, Any] = {"data": result.data}
            if result.errors:
                payload["errors"] = [present(error).formatted for error in result.errors]
            return "next", payload

        kind, payload = await self.idempotency.once(
            context.viewer.user_id, key, fingerprint, execute, SocketAnswers()
        )
        if kind == "error":
            await self._refuse(operation, payload)
            return True
        await operation.send_operation_message(
            {"id": operation.id, "type": "next", "payload": payload}
        )
        await operation.send_operation_message({"id": operation.id, "type": "complete"})
        return True

    async def _send_result_stream(
        self, operation: Operation[Context, None], result_source: StreamResult
    ) -> None:
        # Strawberry sends subscription results without the schema's error
        # presenter; this is the one place every result passes through.
        async def presented() -> AsyncIterator[Any]:
            async for result in result_source:
                errors = getattr(result, "errors", None)
                if errors:
                    result.errors = [present(error) for error in errors]  # type: ignore[union-attr]
                yield result

        await super()._send_result_stream(operation, presented())  # type: ignore[arg-type]

    async def _watch_session(self) -> None:
        """Ends the socket when its session ends: the token's expiry on the
        clock, the rest (revocation, disabled, erased) by asking again while
        operations run."""
        resources = self.context.resources
        every = resources.settings.graphql_ws_session_check_seconds
        viewer: Viewer | None = self.context.viewer
        token = socket_token(self.context.connection_params)
        loop = asyncio.get_running_loop()
        checked = loop.time()
        while viewer is not None and token is not None:
            await asyncio.sleep(min(EXPIRY_TICK_SECONDS, every))
            expires = viewer.token_expires_at
            if expires is not None and resources.clock.now() >= expires:
                break
            if not self.operations or loop.time() - checked < every:
                continue
            checked = loop.time()
            try:
                viewer = await authenticate(resources, token)
            except Exception:
                # The database is away: the operations fail on their own;
                # ask again at the next check rather than drop the socket.
                log.warning("socket session not checked", exc_info=True)
        await self.end_session()

    async def end_session(self) -> None:
        """Closes the socket with 4403 and stops whatever it runs. Expected
        (a token expires every 15 minutes), so logged at INFO."""
        if self.ending:
            return
        self.ending = True
        current = asyncio.current_task()
        for operation_id in list(self.operations):
            operation = self.operations.pop(operation_id)
            if operation.task is not None and operation.task is not current:
                operation.task.cancel()
        log.info("socket closed with %d: the session ended", SESSION_ENDED)
        with suppress(Exception):
            await self.websocket.close(code=SESSION_ENDED, reason="Session ended")
