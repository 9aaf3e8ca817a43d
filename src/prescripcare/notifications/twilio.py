"""SMS through twilio-python. The SDK is synchronous, so each send runs in a
thread. The base URL is a setting, so tests run this exact code against a
local server that answers as Twilio does."""

from __future__ import annotations

import asyncio

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from prescripcare.notifications.message import Message, PermanentSendError, TransientSendError

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
