"""A request id for every HTTP request: taken from `X-Request-ID` when it is
sane, generated otherwise, returned in the response, and quoted in masked
errors so support can find the log line."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
_SANE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
current_request_id: ContextVar[str] = ContextVar("request_id", default="-")
# The peer's address as the ASGI server reports it. Uvicorn (`proxy_headers`)
# replaces it with X-Forwarded-For only for peers in FORWARDED_ALLOW_IPS, so a
# client cannot put an address of its choosing into the audit log.
current_client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(HEADER.encode(), b"").decode("latin-1")
        request_id = incoming if _SANE.match(incoming) else uuid.uuid4().hex
        token = current_request_id.set(request_id)
        client = scope.get("client")
        ip_token = current_client_ip.set(client[0] if client else None)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)
            current_client_ip.reset(ip_token)
