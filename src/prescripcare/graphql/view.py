"""Strawberry's ASGI view with our context, serving only graphql-transport-ws."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from prescripcare.graphql.context import Context, build_context
from prescripcare.graphql.schema import schema
from prescripcare.resources import Resources


class PrescripCareGraphQL(GraphQL[Context, None]):
    def __init__(self, resources: Resources) -> None:
        super().__init__(
            schema,
            graphql_ide=None if resources.settings.is_production else "graphiql",
            allow_queries_via_get=True,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        )
        self.resources = resources

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None = None
    ) -> Context:
        authorization = request.headers.get("authorization")
        http_response = response if isinstance(response, Response) else None
        return await build_context(self.resources, request, http_response, authorization)

    def encode_json(self, data: Any) -> str:
        import orjson

        return orjson.dumps(data).decode()
