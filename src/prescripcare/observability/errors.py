"""Sentry, with patient data removed before anything leaves the process.

The integrations (Starlette, Strawberry, SQLAlchemy, arq) give each event its
request, operation, SQL and job; `scrub` then keeps only what identifies the
code path: no request bodies or query strings, no GraphQL variables, no SQL
parameters, no local variables, no user but the id, no message text of
breadcrumbs that could quote data.
"""

from __future__ import annotations

from typing import Any

from prescripcare.observability.redact import REDACTED, redact
from prescripcare.settings import Settings
from prescripcare.version import release

Event = dict[str, Any]
_SAFE_HEADERS = frozenset({"content-type", "user-agent", "x-request-id", "content-length"})


def _scrub_request(request: dict[str, Any]) -> None:
    for key in ("data", "query_string", "cookies", "env"):
        request.pop(key, None)
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {k: v for k, v in headers.items() if k.lower() in _SAFE_HEADERS}
    url = request.get("url")
    if isinstance(url, str):
        request["url"] = url.split("?", 1)[0]


def _scrub_frames(event: Event) -> None:
    for exception in (event.get("exception") or {}).get("values") or []:
        # Exception text quotes whatever the code had at hand, a patient's
        # name included, and no pattern finds names: the type and the stack
        # identify the failure; the request id finds its log line.
        if exception.get("value"):
            exception["value"] = REDACTED
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)


def _scrub_breadcrumbs(event: Event) -> None:
    crumbs = event.get("breadcrumbs")
    values = crumbs.get("values") if isinstance(crumbs, dict) else crumbs
    for crumb in values or []:
        crumb.pop("data", None)
        if isinstance(crumb.get("message"), str):
            crumb["message"] = redact(crumb["message"])


def scrub(event: Event, hint: dict[str, Any] | None = None) -> Event:
    """Sentry's before_send (and before_send_transaction)."""
    if isinstance(event.get("request"), dict):
        _scrub_request(event["request"])
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    contexts = event.get("contexts")
    if isinstance(contexts, dict):
        graphql = contexts.get("graphql")
        if isinstance(graphql, dict):
            contexts["graphql"] = {
                k: v for k, v in graphql.items() if k in ("operation_name", "operation_type")
            }
    event.pop("extra", None)
    if isinstance(event.get("message"), str):
        event["message"] = redact(event["message"])
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        logentry.pop("params", None)
        for key in ("message", "formatted"):
            if isinstance(logentry.get(key), str):
                logentry[key] = redact(logentry[key])
    _scrub_frames(event)
    _scrub_breadcrumbs(event)
    for span in event.get("spans") or []:
        span.pop("data", None)
    return event


def init_sentry(settings: Settings, *, component: str) -> bool:
    """Starts the Sentry client when SENTRY_DSN is set; answers whether it did."""
    if not settings.sentry_dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.arq import ArqIntegration
    from sentry_sdk.integrations.sqlalchemy import SqlalchemyIntegration
    from sentry_sdk.integrations.starlette import StarletteIntegration
    from sentry_sdk.integrations.strawberry import StrawberryIntegration

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.prescripcare_env,
        release=release(settings),
        # send_default_pii stays at its off default (setting it is deprecated
        # in newer SDKs); `scrub` is what guarantees the rest.
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=settings.sentry_traces_sample_rate,
        before_send=scrub,  # type: ignore[arg-type]
        before_send_transaction=scrub,  # type: ignore[arg-type]
        integrations=[
            StarletteIntegration(),
            StrawberryIntegration(async_execution=True),
            SqlalchemyIntegration(),
            ArqIntegration(),
        ],
    )
    sentry_sdk.set_tag("component", component)
    return True
