"""E-mail through sendgrid's v3 mail API: reminders and the service's other
mail (password resets, shared reports). The SDK is synchronous, so each send
runs in a thread. The host is a setting, so tests run this exact code
against a local server that answers as SendGrid does."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence

from python_http_client import exceptions as http_errors
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Attachment, Disposition, FileContent, FileName, FileType, Mail

from prescripcare.notifications.message import (
    MailAttachment,
    Message,
    PermanentSendError,
    TransientSendError,
)


class SendGridEmailChannel:
    name = "EMAIL"

    def __init__(self, api_key: str, from_email: str, host: str | None = None) -> None:
        self.client = SendGridAPIClient(api_key, host=host) if host else SendGridAPIClient(api_key)
        self.from_email = from_email

    def _send(self, message: Message) -> str:
        if not message.address:
            raise PermanentSendError("the patient has no e-mail address")
        return self._deliver(message.address, message.subject, message.text)

    def _deliver(
        self, address: str, subject: str, text: str, attachments: Sequence[MailAttachment] = ()
    ) -> str:
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
            response = self.client.send(mail)
        except http_errors.TooManyRequestsError as error:
            raise TransientSendError("SendGrid 429") from error
        except http_errors.HTTPError as error:
            status = int(getattr(error, "status_code", 0) or 0)
            if 400 <= status < 500:
                raise PermanentSendError(f"SendGrid {status}") from error
            raise TransientSendError(f"SendGrid {status}") from error
        except OSError as error:
            raise TransientSendError(f"SendGrid unreachable: {type(error).__name__}") from error
        headers = {k.lower(): v for k, v in dict(response.headers or {}).items()}
        return str(headers.get("x-message-id") or f"sendgrid-{response.status_code}")

    async def send(self, message: Message) -> str:
        return await asyncio.to_thread(self._send, message)

    async def send_mail(
        self, address: str, subject: str, text: str, attachments: Sequence[MailAttachment] = ()
    ) -> str:
        """Any other e-mail of the service (a password reset, a shared
        report), same errors."""
        return await asyncio.to_thread(self._deliver, address, subject, text, attachments)
