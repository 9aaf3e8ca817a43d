"""Applications with other settings (rate limits on, SendGrid) over the
suite's PostgreSQL and Redis; the ordinary `app` keeps rate limits off so
other tests are not throttled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from prescripcare.app import create_app
from prescripcare.clock import SettableClock
from prescripcare.settings import Settings


@asynccontextmanager
async def custom_app(
    settings: Settings, clock: SettableClock, **overrides: Any
) -> AsyncIterator[Starlette]:
    application = create_app(settings.model_copy(update=overrides), clock=clock)
    async with LifespanManager(application):
        yield application


def limited_app(
    settings: Settings, clock: SettableClock, **limits: Any
) -> AbstractAsyncContextManager[Starlette]:
    return custom_app(settings, clock, rate_limit_enabled=True, **limits)


def client_from(app: Starlette, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")
