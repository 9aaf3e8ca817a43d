"""A production-mode application over the suite's PostgreSQL and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from prescripcare.app import create_app
from prescripcare.settings import Settings

ALLOWED_ORIGIN = "https://app.prescripcare.example"


@pytest.fixture
async def production_client(migrated: Settings) -> AsyncIterator[httpx.AsyncClient]:
    settings = migrated.model_copy(
        update={"prescripcare_env": "production", "cors_origins": ALLOWED_ORIGIN}
    )
    app: Starlette = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c
