"""The face of a refused request: HTTP 429 with Retry-After and a GraphQL
body, or the same GraphQL error for one operation on a socket."""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.websockets import WebSocket

from prescripcare.errors import TopLevelCode


def client_ip(connection: HTTPConnection) -> str:
    """The peer address; behind a proxy uvicorn's proxy_headers already put
    the forwarded client here (only from FORWARDED_ALLOW_IPS)."""
    return connection.client.host if connection.client else "unknown"


def rate_limited_error(retry_after: int) -> dict[str, object]:
    """The GraphQL error of a refused request, the same over HTTP and on a
    socket (where it answers the one operation; the socket stays open)."""
    return {
        "message": f"Too many requests; try again in {retry_after} seconds.",
        "extensions": {"code": TopLevelCode.RATE_LIMITED.value, "retryAfter": retry_after},
    }


def rate_limited_response(retry_after: int) -> JSONResponse:
    return JSONResponse(
        {"data": None, "errors": [rate_limited_error(retry_after)]},
        status_code=429,
        headers={"Retry-After": str(retry_after)},
    )


async def deny_websocket(socket: WebSocket, retry_after: int) -> None:
    """A 429 instead of the upgrade where the server can send one (uvicorn
    can); otherwise the plain refusal (403) of closing before accepting."""
    if "websocket.http.response" in socket.scope.get("extensions", {}):
        await socket.send_denial_response(rate_limited_response(retry_after))
    else:
        await socket.close(code=1008)
