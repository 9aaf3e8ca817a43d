"""Liveness and readiness endpoints for load balancers and Kubernetes."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from prescripcare.migrate import current_revision, head_revision
from prescripcare.resources import Resources
from prescripcare.version import build_info

CHECK_TIMEOUT_SECONDS = 2.0


async def health(request: Request) -> JSONResponse:
    """Liveness, and the version (and build commit) this process runs."""
    resources: Resources = request.app.state.resources
    return JSONResponse({"status": "ok", **build_info(resources.settings)})


async def _database_ok(resources: Resources) -> bool:
    async with resources.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        return await conn.run_sync(current_revision) == head_revision()


async def _redis_ok(resources: Resources) -> bool:
    return bool(await resources.redis.ping())


async def ready(request: Request) -> JSONResponse:
    resources: Resources = request.app.state.resources
    checks = {"postgres": _database_ok(resources), "redis": _redis_ok(resources)}
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            ok = await asyncio.wait_for(check, CHECK_TIMEOUT_SECONDS)
            results[name] = "ok" if ok else "not migrated"
        except Exception:
            results[name] = "unreachable"
    ready_now = all(v == "ok" for v in results.values())
    return JSONResponse(
        {"status": "ready" if ready_now else "unavailable", "checks": results},
        status_code=200 if ready_now else 503,
    )
