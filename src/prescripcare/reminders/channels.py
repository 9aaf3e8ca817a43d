"""Where reminders go. Each channel sends one message and answers the
provider's message id, or raises a transient or permanent error.

This step ships the console channel (development without provider
credentials: a masked line in the log, recorded as sent); the Twilio,
SendGrid and FCM channels plug in beside it.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("prescripcare.reminders")


class TransientSendError(Exception):
    """Worth retrying later (a timeout, a 5xx, a rate limit)."""


class PermanentSendError(Exception):
    """Retrying cannot help (an invalid or opted-out number, a 4xx)."""


@dataclass(frozen=True)
class Message:
    reminder_id: uuid.UUID
    patient_id: uuid.UUID
    channel: str
    address: str | None
    text: str
    # An e-mail's subject line, in the same language as the text.
    subject: str = "PrescripCare"


class Channel(Protocol):
    name: str

    async def send(self, message: Message) -> str: ...


def mask(address: str | None) -> str:
    """Enough of an address to tell two apart in a log, not to contact anyone."""
    if not address:
        return "-"
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{address[:3]}***{address[-2:]}"


class ConsoleChannel:
    def __init__(self, name: str) -> None:
        self.name = name

    async def send(self, message: Message) -> str:
        log.info("console %s reminder to %s: %s", self.name, mask(message.address), message.text)
        return f"console-{uuid.uuid4()}"
