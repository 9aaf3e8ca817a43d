"""SMS through twilio-python's async API (`messages.create_async`), on the
process's shared HTTP pool. The base URL is a setting, so tests run this
exact code against a local server that answers as Twilio does."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from prescripcare.notifications.http import UNREACHABLE, HttpPool
from prescripcare.notifications.message import Message, PermanentSendError, TransientSendError

# Twilio error codes that no retry can fix: an invalid or unreachable number,
# a recipient who replied STOP, a number that cannot receive SMS.
TWILIO_PERMANENT = {21211, 21214, 21217, 21219, 21408, 21610, 21612, 21614}

# The SDK logs every request at INFO (URL with the account id, headers); at
# the morning peak that is thousands of lines a second saying nothing new.
_sdk_log = logging.getLogger("prescripcare.notifications.twilio.sdk")
_sdk_log.setLevel(logging.WARNING)


class _PooledTwilioHttp(AsyncTwilioHttpClient):  # type: ignore[misc]
    """twilio-python's aiohttp client, on the shared pool instead of a
    session of its own."""

    def __init__(self, pool: HttpPool) -> None:
        self._pool = pool
        super().__init__(pool_connections=False, logger=_sdk_log)

    @property
    def session(self) -> aiohttp.ClientSession:
        return self._pool.session()

    @session.setter
    def session(self, _value: Any) -> None:
        """The parent's own session (none, with pool_connections off) is not used."""

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's signature
        allow_redirects: bool = False,
    ) -> Any:
        # The account's credentials as a header: aiohttp deprecates `auth=`.
        if auth is not None:
            headers = {**(headers or {}), "Authorization": aiohttp.encode_basic_auth(*auth)}
        return await super().request(
            method, url, params, data, headers, None, timeout, allow_redirects
        )


class TwilioSmsChannel:
    name = "SMS"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str | None = None,
        status_callback: str | None = None,
        pool: HttpPool | None = None,
    ) -> None:
        self.pool = pool or HttpPool()
        self.client = Client(account_sid, auth_token, http_client=_PooledTwilioHttp(self.pool))
        if base_url:
            self.client.api.base_url = base_url
        self.from_number = from_number
        self.status_callback = status_callback

    async def send(self, message: Message) -> str:
        if not message.address:
            raise PermanentSendError("the patient has no phone number")
        try:
            sent = await self.client.messages.create_async(
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
        except (TwilioException, *UNREACHABLE) as error:
            raise TransientSendError(f"Twilio unreachable: {type(error).__name__}") from error
        return str(sent.sid)
