"""What a restore runs around pg_restore, so data that must stay gone stays
gone.

A backup predates the erasures made after it, and so does the erasure ledger
inside it. Each hook therefore `capture`s what it needs from the live
database before pg_restore overwrites it (or from the surviving database
named by `--ledger-from` when restoring elsewhere), then `apply`s it to the
restored database in one transaction with the others.

The erasure ledger (`prescripcare.privacy.ledger`) plugs in by defining
`restore_hook`, an object with these two methods; other modules may call
`register` at import time.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

log = logging.getLogger("prescripcare.backup")
LEDGER_MODULE = "prescripcare.privacy.ledger"


class RestoreHook(Protocol):
    name: str

    async def capture(self, live: AsyncConnection) -> Any:
        """Read from the live database before it is overwritten."""

    async def apply(self, restored: AsyncConnection, captured: Any) -> None:
        """Re-apply to the restored database (captured is None when there
        was no live database to read)."""


_registered: list[RestoreHook] = []


def register(hook: RestoreHook) -> None:
    if hook not in _registered:
        _registered.append(hook)


def unregister(hook: RestoreHook) -> None:
    if hook in _registered:
        _registered.remove(hook)


def restore_hooks() -> list[RestoreHook]:
    hooks = list(_registered)
    try:
        ledger = importlib.import_module(LEDGER_MODULE)
    except ModuleNotFoundError as missing:
        if missing.name not in (LEDGER_MODULE, LEDGER_MODULE.rpartition(".")[0]):
            raise
        log.warning("no erasure ledger in this build: erasures are not re-applied on restore")
    else:
        hook = getattr(ledger, "restore_hook", None)
        if hook is None:
            raise RuntimeError(f"{LEDGER_MODULE} defines no restore_hook")
        hooks.insert(0, hook)
    return hooks
