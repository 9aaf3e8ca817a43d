"""`/metrics`: Prometheus text, behind METRICS_TOKEN when one is set.

In production the endpoint on the API port answers only with the token;
without one it is off there, and METRICS_PORT (a plain listener the
NetworkPolicy opens to Prometheus alone) is the way in.
"""

from __future__ import annotations

import hmac
import logging

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest, start_http_server
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from prescripcare.observability.metrics import QUEUE_DEPTH
from prescripcare.resources import Resources
from prescripcare.settings import Settings

log = logging.getLogger("prescripcare.metrics")


def queue_name(resources: Resources) -> str:
    return resources.keys.key("arq", "queue")


async def refresh_queue_depth(resources: Resources) -> None:
    """arq keeps its queue as a sorted set; its size is the backlog."""
    try:
        QUEUE_DEPTH.set(await resources.redis.zcard(queue_name(resources)))
    except Exception:  # Redis down: /ready reports it; keep the last value.
        log.warning("arq queue depth unavailable", exc_info=True)


def _authorised(request: Request, settings: Settings) -> bool:
    if settings.metrics_token is None:
        return not settings.is_production
    given = request.headers.get("authorization", "")
    expected = f"Bearer {settings.metrics_token.get_secret_value()}"
    return hmac.compare_digest(given.encode(), expected.encode())


async def metrics(request: Request) -> Response:
    resources: Resources = request.app.state.resources
    if not _authorised(request, resources.settings):
        return PlainTextResponse("Not Found", status_code=404)
    await refresh_queue_depth(resources)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def serve_metrics_port(settings: Settings) -> None:
    """A separate listener (a daemon thread) for in-cluster scraping."""
    if settings.metrics_port is not None:
        start_http_server(settings.metrics_port)
        log.info("metrics on port %s", settings.metrics_port)
