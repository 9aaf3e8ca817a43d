"""Account e-mails (password reset, security notices, shared reports), sent
off the request path.

The request that asks for a reset answers before any e-mail is sent, so a
known address and an unknown one take the same time to answer. A send that
fails is logged and not retried: the user asks again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from prescripcare.notifications.message import MailAttachment, Mailer, mask

log = logging.getLogger("prescripcare.auth.mail")


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    address: str
    subject: str
    text: str
    attachments: tuple[MailAttachment, ...] = ()


class AccountMail:
    def __init__(self, mailer: Mailer | None) -> None:
        self._mailer = mailer
        self._pending: set[asyncio.Task[None]] = set()

    def send_later(self, mail: OutgoingMail) -> None:
        task = asyncio.get_running_loop().create_task(self._send(mail))
        # The loop keeps only weak references to tasks.
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _send(self, mail: OutgoingMail) -> None:
        if self._mailer is None:
            log.warning(
                "no e-mail provider configured: %r to %s not sent", mail.subject, mask(mail.address)
            )
            return
        try:
            await self._mailer.send_mail(mail.address, mail.subject, mail.text, mail.attachments)
        except Exception:
            log.exception("account e-mail %r to %s failed", mail.subject, mask(mail.address))

    async def drain(self) -> None:
        """Waits for the e-mails already accepted (shutdown, tests)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
