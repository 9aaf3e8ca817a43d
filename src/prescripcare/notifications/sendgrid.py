"""E-mail through SendGrid's v3 mail API: reminders and the service's other
mail (password resets, shared reports). The body is built by the sendgrid
library's `Mail` helper and posted on the process's shared HTTP pool (the
library's own client is synchronous). The host is a setting, so tests run
this exact code against a local server that answers as SendGrid does."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from sendgrid.helpers.mail import Attachment, Disposition, FileContent, FileName, FileType, Mail

from prescripcare.notifications.http import HttpPool
from prescripcare.notifications.message import (
    MailAttachment,
    Message,
    PermanentSendError,
    TransientSendError,
)
from prescripcare.notifications.unreachable import UNREACHABLE

DEFAULT_HOST = "https://api.sendgrid.com"


class SendGridEmailChannel:
    name = "EMAIL"

    def __init__(
        self,
        api_key: str,
        from_email: str,
        host: str | None = None,
        pool: HttpPool | None = None,
    ) -> None:
        self.url = f"{host or DEFAULT_HOST}/v3/mail/send"
        self.headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self.from_email = from_email
        self.pool = pool or HttpPool()

    async def send(self, message: Message) -> str:
        if not message.address:
            raise PermanentSendError("the patient has no e-mail address")
        return await self.send_mail(message.address, message.subject, message.text)

    async def send_mail(
        self, address: str, subject: str, text: str, attachments: Sequence[MailAttachment] = ()
    ) -> str:
        """Any e-mail of the service, reminders included; same errors."""
        mail = Mail(
            from_email=self.from_email,
            to_emails=address,
            subject=subject,
            plain_text_content=text,
        )
        for file in attachments:
            mail.add_attachment(
                Attachment(
                    FileContent(base64.b64encode(file.content).decode()),
                    FileName(file.filename),
                    FileType(file.content_type),
                    Disposition("attachment"),
                )
            )
        try:
            async with self.pool.session().post(
                self.url, json=mail.get(), headers=self.headers
            ) as response:
                status = response.status
                message_id = response.headers.get("X-Message-Id")
                await response.read()
        except UNREACHABLE as error:
            raise TransientSendError(f"SendGrid unreachable: {type(error).__name__}") from error
        if status == 429 or status >= 500:
            raise TransientSendError(f"SendGrid {status}")
        if status >= 400:
            raise PermanentSendError(f"SendGrid {status}")
        return str(message_id or f"sendgrid-{status}")
