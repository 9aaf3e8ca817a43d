"""Development without provider credentials: a masked line in the log,
recorded as sent. Never built in production (never a fake send)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from prescripcare.notifications.message import MailAttachment, Message, mask

# The names these lines always had, which log filters and tests select on.
log = logging.getLogger("prescripcare.reminders")
mail_log = logging.getLogger("prescripcare.auth.mail")


class ConsoleChannel:
    def __init__(self, name: str) -> None:
        self.name = name

    async def send(self, message: Message) -> str:
        log.info("console %s reminder to %s: %s", self.name, mask(message.address), message.text)
        return f"console-{uuid.uuid4()}"


class ConsoleMailer:
    """The whole e-mail in the log, so a developer can follow a reset link."""

    async def send_mail(
        self, address: str, subject: str, text: str, attachments: Sequence[MailAttachment] = ()
    ) -> str:
        files = ", ".join(f"{a.filename} ({len(a.content)} bytes)" for a in attachments)
        mail_log.info(
            "console e-mail to %s: %s\n%s%s",
            mask(address),
            subject,
            text,
            f"\n[attached: {files}]" if files else "",
        )
        return "console"
