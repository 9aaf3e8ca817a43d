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

from prescripcare.backup.history import last_successes, wal_archiving
from prescripcare.observability.metrics import (
    BACKUP_LAST_SUCCESS,
    QUEUE_DEPTH,
    WAL_LAST_ARCHIVED,
    WAL_LAST_FAILED,
)
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


BACKUP_KINDS = ("dump",)


async def refresh_backup_age(resources: Resources) -> None:
    """The newest backup and WAL archiving times, from the primary."""
    try:
        async with resources.engine.connect() as conn:
            newest = await last_successes(conn)
            wal = await wal_archiving(conn)
    except Exception:  # PostgreSQL down: /ready reports it; keep the last values.
        log.warning("backup age unavailable", exc_info=True)
        return
    for kind in {*BACKUP_KINDS, *newest}:
        at = newest.get(kind)
        BACKUP_LAST_SUCCESS.labels(kind=kind).set(at.timestamp() if at else 0)
    WAL_LAST_ARCHIVED.set(wal.last_archived.timestamp() if wal.last_archived else 0)
    WAL_LAST_FAILED.set(wal.last_failed.timestamp() if wal.last_failed else 0)


async def refresh_scraped_gauges(resources: Resources) -> None:
    await refresh_queue_depth(resources)
    await refresh_backup_age(resources)


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
    await refresh_scraped_gauges(resources)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def serve_metrics_port(settings: Settings) -> None:
    """A separate listener (a daemon thread) for in-cluster scraping."""
    if settings.metrics_port is not None:
        start_http_server(settings.metrics_port)
        log.info("metrics on port %s", settings.metrics_port)
