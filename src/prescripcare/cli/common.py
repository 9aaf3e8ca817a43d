"""What the commands share: reading settings, running a coroutine, and
turning an operator's mistake into a one-line exit instead of a traceback."""

from __future__ import annotations

import argparse
import asyncio
import ssl
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from prescripcare.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

T = TypeVar("T")


def load(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise SystemExit(f"prescripcare: {exc}") from None


def on_plain(
    parser: argparse.ArgumentParser, handler: Callable[[argparse.Namespace], None]
) -> None:
    """A command that needs no settings (or reads them itself); it logs text
    for a person."""
    parser.set_defaults(handler=handler)


def on_settings(
    parser: argparse.ArgumentParser,
    handler: Callable[[Settings, argparse.Namespace], None],
    *,
    statement_timeout: bool = False,
) -> None:
    """A command run with the settings; it logs what LOG_FORMAT says. Without
    `statement_timeout`: DATABASE_STATEMENT_TIMEOUT_MS guards the request path,
    and a migration or an import runs long statements by design."""

    def start(args: argparse.Namespace) -> None:
        from prescripcare.observability.logs import configure_logging

        settings = load()
        configure_logging(settings.log_level, settings.log_format)
        if not statement_timeout:
            settings = settings.model_copy(update={"database_statement_timeout_ms": 0})
        handler(settings, args)

    parser.set_defaults(handler=start)


def tls_failure(exc: ssl.SSLError) -> SystemExit:
    # A refused certificate is the operator's setting, not a crash.
    return SystemExit(
        f"prescripcare: TLS to PostgreSQL failed: {exc}; check DATABASE_SSL and "
        "DATABASE_SSL_ROOT_CERT (or sslmode/sslrootcert in the URL)"
    )


def run(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        return asyncio.run(work())
    except ssl.SSLError as exc:
        raise tls_failure(exc) from None


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"prescripcare: cannot read {path}: {exc}") from None


def reject(problems: list[str]) -> NoReturn:
    print("prescripcare: the file was rejected and nothing was imported:", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    raise SystemExit(2)
