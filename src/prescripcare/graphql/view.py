"""Strawberry's ASGI view with our context, serving only graphql-transport-ws."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from prescripcare.auth.viewer import viewer_from_token
from prescripcare.graphql.context import Context, bearer_token, build_context
from prescripcare.graphql.graphiql import assets_present, graphiql_page
from prescripcare.graphql.media import GRAPHQL_RESPONSE, is_request_error, prefers_graphql_response
from prescripcare.graphql.schema import build_schema
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
        self.ide_page = graphiql_page(assets_present(resources.settings.graphiql_assets_dir))

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
