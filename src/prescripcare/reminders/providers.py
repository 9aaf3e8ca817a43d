"""Provider channels through the providers' own SDKs: SMS with twilio-python,
e-mail with sendgrid. Both SDKs are synchronous, so each send runs in a
thread. Base URLs are settings, so tests run this exact code against local
servers that answer as the providers do."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING

from python_http_client import exceptions as http_errors
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Attachment, Disposition, FileContent, FileName, FileType, Mail
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from prescripcare.reminders.channels import Message, PermanentSendError, TransientSendError

if TYPE_CHECKING:
    from prescripcare.auth.mail import MailAttachment

# Twilio error codes that no retry can fix: an invalid or unreachable number,
# a recipient who replied STOP, a number that cannot receive SMS.
TWILIO_PERMANENT = {21211, 21214, 21217, 21219, 21408, 21610, 21612, 21614}


class TwilioSmsChannel:
    name = "SMS"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str | None = None,
        status_callback: str | None = None,
    ) -> None:
        self.client = Client(account_sid, auth_token)
        if base_url:
            self.client.api.base_url = base_url
        self.from_number = from_number
        self.status_callback = status_callback

    def _send(self, message: Message) -> str:
        if not message.address:
            raise PermanentSendError("the patient has no phone number")
        try:
            sent = self.client.messages.create(
                to=message.address,
                from_=self.from_number,
                body=message.text,
                status_callback=self.status_callback,
            )
        except TwilioRestException as error:
            if error.code in TWILIO_PERMANENT or (
                400 <= error.status < 500 and error.status != 429
            ):
                raise PermanentSendError(f"Twilio {error.status}/{error.code}") from error
            raise TransientSendError(f"Twilio {error.status}/{error.code}") from error
        except (TwilioException, OSError) as error:
            raise TransientSendError(f"Twilio unreachable: {type(error).__name__}") from error
        return str(sent.sid)

    async def send(self, message: Message) -> str:
        return await asyncio.to_thread(self._send, message)


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
