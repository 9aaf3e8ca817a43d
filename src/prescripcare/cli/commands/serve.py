"""`serve` (the API under uvicorn) and `worker` (the arq worker)."""

from __future__ import annotations

import argparse
import signal
from typing import TYPE_CHECKING, Any

from prescripcare.cli.common import on_settings

if TYPE_CHECKING:
    from prescripcare.cli.common import Subparsers
    from prescripcare.settings import Settings


def register(sub: Subparsers) -> None:
    serve = sub.add_parser("serve", help="serve the API under uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, help="overrides PORT")
    on_settings(serve, _serve, statement_timeout=True)

    worker = sub.add_parser("worker", help="run the arq worker: dose horizons, missed doses")
    on_settings(worker, _work, statement_timeout=True)


def uvicorn_config(settings: Settings, host: str, port: int, log_level: str = "info") -> Any:
    import uvicorn

    from prescripcare.app import create_app

    return uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        # X-Forwarded-For/-Proto only from FORWARDED_ALLOW_IPS (validated
        # networks), so behind a proxy each client has its own rate-limit
        # buckets and audit address, and nobody else can choose theirs.
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
        log_level=log_level,
        # The C event loop and HTTP parser (uvicorn[standard]); named so that a
        # missing one fails at start instead of silently serving slower.
        loop="uvloop",
        http="httptools",
        # Our JSON handler on the root logger, and our access log (route
        # templates, no query strings) instead of uvicorn's.
        log_config=None,
        access_log=False,
        ws="websockets-sansio",
        timeout_graceful_shutdown=20,
    )


def _tune_gc() -> None:
    """A request allocates tens of thousands of short-lived objects (rows, ORM
    instances, GraphQL results): at CPython's default threshold the cyclic
    collector runs many times per request. Freezing what start-up built and
    collecting less often saved about a tenth of the CPU per request in
    bench/load.py (docs/benchmarks.md)."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from prescripcare.observability.endpoint import serve_metrics_port

    serve_metrics_port(settings)
    # SIGTERM is how an orchestrator stops a replica. uvicorn stops accepting,
    # lets requests in flight finish (up to timeout_graceful_shutdown), closes
    # WebSockets with 1012, then re-raises the signal to the handler it found:
    # this one, so a clean drain exits 0 rather than "killed by SIGTERM".
    signal.signal(signal.SIGTERM, lambda *_: None)
    config = uvicorn_config(settings, args.host, args.port or settings.port)
    _tune_gc()
    uvicorn.Server(config).run()


def _work(settings: Settings, args: argparse.Namespace) -> None:
    from prescripcare.worker import build_worker

    build_worker(settings).run()
