"""Strawberry's ASGI view with our context, serving only graphql-transport-ws."""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from prescripcare.auth.viewer import viewer_from_token
from prescripcare.graphql.context import Context, bearer_token, build_context
from prescripcare.graphql.presenter import present
from prescripcare.graphql.schema import build_schema
from prescripcare.graphql.transport import decode_request_json, refusal_response
from prescripcare.resources import Resources


class PrescripCareGraphQL(GraphQL[Context, None]):
    def __init__(self, resources: Resources) -> None:
        super().__init__(
            build_schema(resources.settings),
            graphql_ide=None if resources.settings.is_production else "graphiql",
            allow_queries_via_get=True,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        )
        self.resources = resources

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as refused:
            response = refusal_response(refused)
        await response(scope, receive, send)

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

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """The access token comes in connection_init ({"authorization":
        "Bearer ..."}) and is checked like HTTP's; no valid token, no socket."""
        params = context.connection_params or {}
        header = params.get("authorization") or params.get("Authorization")
        token = bearer_token(header) if isinstance(header, str) else None
        viewer = None
        if token is not None:
            async with self.resources.sessions() as session:
                viewer = await viewer_from_token(
                    session, self.resources.tokens, token, self.resources.clock.now()
                )
        if viewer is None:
            raise ConnectionRejectionError({"message": "A valid access token is required."})
        context.act_as(viewer)
        unset: UnsetType = UNSET
        return unset

    def encode_json(self, data: Any) -> str:
        import orjson

        return orjson.dumps(data).decode()
