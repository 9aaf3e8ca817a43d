"""Patient reads of many operations written in one transaction.

Every audit entry takes the chain head's row lock until its transaction
commits (migration 0010: gap-free sequence in commit order), so entries
written one transaction each are written one commit at a time, across the
whole deployment. A live dashboard wall hears of a patient on 80 sockets at
once, and each socket must record its first reading of that patient before
it discloses anything: 80 commits in a row. Here the entries waiting at a
moment share one transaction: one lock, one commit.

Nothing is weakened: each entry is the row `record_reads` would write for
its caller, with the same viewer, time, request id, client address and
break-glass grant, all in one INSERT (`record_readings`),
and each caller is released only once the transaction holding its entries
has committed (an error reaches every caller of that transaction, and none
of them discloses).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from prescripcare.audit.models import AuditAction
from prescripcare.audit.service import Reading, record_readings
from prescripcare.auth.viewer import Viewer
from prescripcare.db import SessionFactory, transaction
from prescripcare.requestid import current_client_ip, current_request_id


@dataclass(frozen=True)
class _Waiting:
    viewer: Viewer
    reads: Sequence[tuple[uuid.UUID, AuditAction]]
    at: datetime
    request_id: str
    ip: str | None
    written: asyncio.Future[None]


class ReadAuditBatcher:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(
        self, viewer: Viewer, reads: Sequence[tuple[uuid.UUID, AuditAction]], at: datetime
    ) -> None:
        """Returns once these reads are committed; raises if they were not."""
        if not reads:
            return
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(
            _Waiting(
                viewer, tuple(reads), at, current_request_id.get(), current_client_ip.get(), written
            )
        )
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await asyncio.shield(written)

    @staticmethod
    def _reading(one: _Waiting) -> Reading:
        """The entry's own request id and address, as if its caller wrote it."""
        request_id = None if one.request_id == "-" else one.request_id
        return Reading(one.viewer, one.reads, one.at, request_id, one.ip)

    async def _write(self) -> None:
        # Whatever arrives while a transaction commits goes in the next one.
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                async with transaction(self._sessions) as session:
                    await record_readings(session, [self._reading(one) for one in batch])
            except Exception as error:
                for one in batch:
                    if not one.written.done():
                        one.written.set_exception(error)
            else:
                for one in batch:
                    if not one.written.done():
                        one.written.set_result(None)
