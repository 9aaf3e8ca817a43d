"""What every channel sends and how it fails. A channel sends one message
and answers the provider's message id, or raises a transient or permanent
error; a mailer sends any other e-mail of the service the same way."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


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


@dataclass(frozen=True, slots=True)
class MailAttachment:
    filename: str
    content_type: str
    content: bytes


class Channel(Protocol):
    name: str

    async def send(self, message: Message) -> str: ...


class Mailer(Protocol):
    async def send_mail(
        self, address: str, subject: str, text: str, attachments: Sequence[MailAttachment] = ()
    ) -> str: ...


def mask(address: str | None) -> str:
    """Enough of an address to tell two apart in a log, not to contact anyone."""
    if not address:
        return "-"
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{address[:3]}***{address[-2:]}"
