"""The Starlette application: GraphQL, health checks, lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from prescripcare.bodylimit import BodyLimitMiddleware
from prescripcare.clock import Clock
from prescripcare.graphql.graphiql import ASSETS_URL_PATH, assets_present
from prescripcare.graphql.view import PrescripCareGraphQL
from prescripcare.headers import SecurityHeadersMiddleware
from prescripcare.health import health, ready
from prescripcare.observability.endpoint import metrics
from prescripcare.observability.errors import init_sentry
from prescripcare.observability.http import HttpMetricsMiddleware
from prescripcare.privacy.routes import EVERYTHING_PATH, patient_everything
from prescripcare.reminders.webhooks import (
    INBOUND_PATH,
    STATUS_PATH,
    twilio_inbound,
    twilio_status,
)
from prescripcare.reports.routes import REPORT_PATH, adherence_report
from prescripcare.requestid import RequestIdMiddleware
from prescripcare.resources import Resources, open_resources
from prescripcare.settings import Settings, load_settings

LOCAL_ORIGIN = r"http://(localhost|127\.0\.0\.1)(:\d{1,5})?"


class _LazyGraphQL:
    """The GraphQL view is built in the lifespan, once resources exist."""

    def __init__(self) -> None:
        self.view: PrescripCareGraphQL | None = None

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        assert self.view is not None, "application not started"
        await self.view(scope, receive, send)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Starlette:
    settings = settings or load_settings()
    # Patient data is scrubbed from every event (observability/errors.py).
    init_sentry(settings, component="api")
    graphql = _LazyGraphQL()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_resources(settings, clock) as resources:
            app.state.resources = resources
            graphql.view = PrescripCareGraphQL(resources)
            yield

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/health", health),
            Route(STATUS_PATH, twilio_status, methods=["POST"]),
            Route(INBOUND_PATH, twilio_inbound, methods=["POST"]),
            Route("/ready", ready),
            Route(EVERYTHING_PATH, patient_everything, methods=["GET"]),
            Route(REPORT_PATH, adherence_report, methods=["GET"]),
            *_graphiql_assets(settings),
            Route("/metrics", metrics),
        ],
        middleware=[
            Middleware(SecurityHeadersMiddleware, production=settings.is_production),
            Middleware(RequestIdMiddleware),
            Middleware(HttpMetricsMiddleware),
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origin_list,
                # A developer's web app on any local port; never in production.
                allow_origin_regex=None if settings.is_production else LOCAL_ORIGIN,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
                expose_headers=["X-Request-ID", "Retry-After", "Idempotent-Replayed"],
                max_age=600,
            ),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        lifespan=lifespan,
    )
    return app


def _graphiql_assets(settings: Settings) -> list[BaseRoute]:
    """GraphiQL's own scripts and styles, development only (production
    serves no GraphiQL)."""
    directory = settings.graphiql_assets_dir
    if settings.is_production or not assets_present(directory):
        return []
    return [Mount(ASSETS_URL_PATH, StaticFiles(directory=directory), name="graphiql-assets")]


def resources_of(app: Starlette) -> Resources:
    resources: Resources = app.state.resources
    return resources
