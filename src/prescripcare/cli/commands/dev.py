"""`dev`: embedded PostgreSQL and Redis, demo data, the API and the worker in
one process."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING

from prescripcare.cli.commands.serve import uvicorn_config
from prescripcare.cli.common import load, on_plain, run

if TYPE_CHECKING:
    from prescripcare.cli.common import Subparsers
    from prescripcare.settings import Settings


def register(sub: Subparsers) -> None:
    dev = sub.add_parser("dev", help="embedded PostgreSQL and Redis, demo data, GraphiQL")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int)
    dev.add_argument("--data-dir", default=".prescripcare")
    on_plain(dev, _dev)


# The longest the worker waits for the API to answer before it starts anyway.
WORKER_WAITS_FOR_API_SECONDS = 10.0


async def _serve_with_worker(
    settings: Settings, host: str, port: int, when_up: Awaitable[None]
) -> None:
    """Development: the API and the worker in one process; Ctrl-C stops both.

    The worker starts once the API answers (or after
    WORKER_WAITS_FOR_API_SECONDS): its start-up (its own resources and the
    jobs it runs at start) would otherwise share the event loop and the CPU
    with the API's, and GraphiQL would answer later."""
    import uvicorn

    from prescripcare.worker import build_worker

    # Its start-up lines are replaced by ours (prescripcare.devstart).
    server = uvicorn.Server(uvicorn_config(settings, host, port, log_level="warning"))
    worker = build_worker(settings, handle_signals=False)
    watching = asyncio.ensure_future(when_up)

    async def work_once_answering() -> None:
        await asyncio.wait([watching], timeout=WORKER_WAITS_FOR_API_SECONDS)
        await worker.async_run()

    running = asyncio.create_task(work_once_answering())
    try:
        await server.serve()
    finally:
        watching.cancel()
        running.cancel()
        await asyncio.gather(running, watching, return_exceptions=True)
        await worker.close()


def _dev(args: argparse.Namespace) -> None:
    from prescripcare import devstart
    from prescripcare.embedded import EmbeddedServices

    steps = devstart.Steps()
    devstart.quiet_for_dev()
    data_dir = Path(args.data_dir).resolve()
    with EmbeddedServices(
        data_dir,
        database_url=os.environ.get("DATABASE_URL"),
        redis_url=os.environ.get("REDIS_URL"),
    ) as services:
        steps.done("servers", services.describe())
        settings = load(
            database_url=services.database_url,
            redis_url=services.redis_url,
            prescripcare_env="development",
        )
        run(lambda: devstart.prepare(settings, steps))
        port = args.port or settings.port
        devstart.banner(args.host, port, data_dir)
        url = f"http://{args.host}:{port}/graphql"
        try:
            asyncio.run(
                _serve_with_worker(
                    settings, args.host, port, devstart.report_when_answering(url, steps)
                )
            )
        except KeyboardInterrupt:
            # uvicorn re-raises Ctrl-C once it has shut down cleanly.
            print("stopped", flush=True)
