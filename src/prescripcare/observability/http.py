"""Per-request timing and the access log line.

The route label is the matched route's template (`/graphql`), never the raw
path, and the access log has no query string: a GET /graphql carries its
variables (names, phone numbers) there.
"""

from __future__ import annotations

import logging
import time

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prescripcare.observability.metrics import HTTP_REQUEST_DURATION

access_log = logging.getLogger("prescripcare.access")
UNMATCHED = "unmatched"


def route_template(scope: Scope) -> str:
    app = scope.get("app")
    for route in getattr(getattr(app, "router", None), "routes", ()):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path", UNMATCHED))
    return UNMATCHED


class HttpMetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = route_template(scope)
        status = 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - started
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            HTTP_REQUEST_DURATION.labels(method, route, str(status)).observe(elapsed)
            # Probes and scrapes arrive every few seconds: DEBUG unless they fail.
            quiet = route in _PROBES and status < 400
            access_log.log(
                logging.DEBUG if quiet else logging.INFO,
                "%s %s %s",
                method,
                route,
                status,
                extra={
                    "method": method,
                    "route": route,
                    "status_code": status,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )


_PROBES = frozenset({"/health", "/ready", "/metrics"})
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
