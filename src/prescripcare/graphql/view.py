"""Strawberry's ASGI view with our context, serving only graphql-transport-ws.

Around Strawberry's request handling: admission (graphql/admission.py:
trusted documents, rate limits; shared with the socket handler) and
Idempotency-Key replay for mutations.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any, cast

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from prescripcare.encryption.keys import keyring_from_settings
from prescripcare.errors import TopLevelCode
from prescripcare.graphql import idempotency
from prescripcare.graphql.admission import Admission, Operation
from prescripcare.graphql.context import Context, authenticate, build_context
from prescripcare.graphql.graphiql import assets_present, graphiql_page
from prescripcare.graphql.idempotency import IdempotencyStore
from prescripcare.graphql.media import GRAPHQL_RESPONSE, is_request_error, prefers_graphql_response
from prescripcare.graphql.presenter import present
from prescripcare.graphql.schema import build_schema
from prescripcare.graphql.socket import GuardedTransportWSHandler, socket_token
from prescripcare.graphql.transport import decode_request_json, refusal_response
from prescripcare.graphql.trusted import Refusal, TrustedDocuments, load_manifests
from prescripcare.ratelimit.guard import RateLimited, RequestGuard
from prescripcare.ratelimit.http import client_ip, deny_websocket, rate_limited_response
from prescripcare.resources import Resources


class _SubResponse(Response):
    """Carries the negotiated media type from the request to the response."""

    graphql_response_json = False


class PrescripCareGraphQL(GraphQL[Context, None]):
    def __init__(self, resources: Resources) -> None:
        super().__init__(
            build_schema(resources.settings),
            graphql_ide=None if resources.settings.is_production else "graphiql",
            allow_queries_via_get=True,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            connection_init_wait_timeout=timedelta(
                seconds=resources.settings.graphql_ws_init_timeout_seconds
            ),
        )
        self.resources = resources
        settings = resources.settings
        self.trusted = TrustedDocuments(
            load_manifests(settings.trusted_documents_files),
            only=settings.trusted_documents_only,
            max_tokens=settings.graphql_max_tokens,
        )
        self.idempotency = IdempotencyStore(
            resources.redis,
            resources.keys,
            keyring_from_settings(settings),
            ttl_seconds=settings.idempotency_key_hours * 3600,
        )
        self.guard = RequestGuard(
            resources.settings, resources.redis, resources.keys, resources.clock
        )
        # One admission for both transports: HTTP calls it in execute_single,
        # the socket handler before each of its operations.
        self.admission = Admission(self.trusted, self.guard)
        self.graphql_transport_ws_handler_class = type(
            "GuardedTransportWSHandler",
            (GuardedTransportWSHandler,),
            {"admission": self.admission, "idempotency": self.idempotency},
        )
        self.ide_page = graphiql_page(assets_present(resources.settings.graphiql_assets_dir))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # A socket handshake counts once against its IP, refused with a
            # 429 before the upgrade: reconnect storms cost no database work.
            socket = WebSocket(scope, receive, send)
            try:
                await self.guard.check(client_ip(socket), None, [])
            except RateLimited as limited:
                await deny_websocket(socket, limited.retry_after)
                return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # Refusals before GraphQL runs (bad JSON, wrong method or media type)
        # answer a GraphQL error body with a code, like every other error.
        try:
            # An HTTP request always gets a Response back (never a socket).
            response = cast(Response, await self.run(Request(scope=scope, receive=receive)))
        except HTTPException as refused:
            response = refusal_response(refused)
        except RateLimited as limited:
            response = rate_limited_response(limited.retry_after)
        await response(scope, receive, send)

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(self.ide_page)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = _SubResponse()
        sub_response.status_code = None  # type: ignore[assignment]
        del sub_response.headers["content-length"]
        if isinstance(request, Request):
            sub_response.graphql_response_json = prefers_graphql_response(
                request.headers.get("accept")
            )
        return sub_response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        if not getattr(sub_response, "graphql_response_json", False):
            return super().create_response(response_data, sub_response)
        status = 200
        if is_request_error(response_data):
            assert isinstance(response_data, dict)
            response_data = {k: v for k, v in response_data.items() if k != "data"}  # type: ignore[assignment]
            status = 400
        response = super().create_response(response_data, sub_response)
        response.status_code = sub_response.status_code or status
        response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
        return response

    def decode_json(self, data: str | bytes) -> object:
        return decode_request_json(data)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        # An exception raised by a schema extension (not a resolver) ends the
        # operation before ErrorPresenter sees it; mask it here all the same.
        if result.errors:
            result.errors = [present(error) for error in result.errors]
        return await super().process_result(request, result)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None = None
    ) -> Context:
        authorization = request.headers.get("authorization")
        http_response = response if isinstance(response, Response) else None
        return await build_context(self.resources, request, http_response, authorization)

    async def run(  # type: ignore[override]
        self,
        request: Request | WebSocket,
        context: Context | UnsetType = UNSET,
        root_value: UnsetType | None = UNSET,
    ) -> Response | WebSocket:
        if not isinstance(request, Request) or idempotency.HEADER not in request.headers:
            return await super().run(request, context, root_value)  # type: ignore[arg-type]
        mutation = await self._mutation_fingerprint(request)
        if mutation is None:
            return await super().run(request, context, root_value)  # type: ignore[arg-type]
        key = request.headers[idempotency.HEADER]
        if not idempotency.valid_key(key):
            return idempotency.error_response(
                400,
                TopLevelCode.BAD_USER_INPUT,
                "Idempotency-Key must be 1 to 255 printable ASCII characters.",
            )
        context = await self.get_context(request)
        if context.viewer is None:
            # Anonymous mutations (register, login, refresh) run as sent: their
            # answers hold tokens, which are not kept outside the database.
            return await super().run(request, context, root_value)  # type: ignore[arg-type]
        execute = partial(super().run, request, context, root_value)
        return await self.idempotency.run(context.viewer.user_id, key, mutation, execute)

    async def _mutation_fingerprint(self, request: Request) -> str | None:
        """The fingerprint of a JSON POST of one mutation; None otherwise
        (Strawberry then answers a malformed request as it always does)."""
        if request.method != "POST" or "json" not in request.headers.get("content-type", ""):
            return None
        try:
            data = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return None
        if not isinstance(data, dict):
            return None
        query = self.trusted.resolve(data.get("query"), data.get("extensions"))
        if not isinstance(query, str):
            return None
        return idempotency.mutation_fingerprint(
            query,
            data.get("operationName"),
            data.get("variables"),
            self.resources.settings.graphql_max_tokens,
        )

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET with a persisted-query hash and no text is an API call.
        return super().should_render_graphql_ide(request) and (
            request.query_params.get("extensions") is None
        )

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Every HTTP operation passes here once (batches are refused and no
        streamed transport is served): admission (trusted documents, rate
        limits; the same as on a socket), then execution. Over a limit
        nothing executes; the 429 is sent by __call__."""
        outcome = await self.admission.admit(
            client_ip(request),
            context.viewer,
            Operation(
                request_data.query,
                request_data.variables,
                request_data.operation_name,
                request_data.extensions,
            ),
        )
        if isinstance(outcome, Refusal):
            return ExecutionResult(data=None, errors=[outcome.error()])
        request_data.query = outcome
        return await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """The access token comes in connection_init ({"authorization":
        "Bearer ..."}) and is checked like HTTP's; no valid token, no socket.
        It is checked again before each operation (graphql/socket.py)."""
        token = socket_token(context.connection_params)
        viewer = await authenticate(self.resources, token) if token else None
        if viewer is None:
            raise ConnectionRejectionError({"message": "A valid access token is required."})
        context.act_as(viewer)
        unset: UnsetType = UNSET
        return unset

    def encode_json(self, data: Any) -> str:
        import orjson

        return orjson.dumps(data).decode()
