"""SMS through Twilio's Messages API on the process's shared HTTP pool:
twilio-python's exact request posted directly (`TwilioSmsChannel`), with the
SDK's `messages.create_async` as its twin (`TwilioSdkSmsChannel`). The base
URL is a setting, so tests run this exact code against a local server that
answers as Twilio does."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.base.version import Version
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from prescripcare.notifications.http import HttpPool
from prescripcare.notifications.message import Message, PermanentSendError, TransientSendError
from prescripcare.notifications.unreachable import UNREACHABLE

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


class TwilioSdkSmsChannel:
    """SMS through twilio-python's `messages.create_async`: the slow,
    obviously-correct twin of `TwilioSmsChannel` (tests prove both send the
    same request and map every answer alike)."""

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
        with _mapped():
            sent = await self.client.messages.create_async(
                to=message.address,
                from_=self.from_number,
                body=message.text,
                status_callback=self.status_callback,
            )
        return str(sent.sid)


class TwilioSmsChannel(TwilioSdkSmsChannel):
    """The same request as the SDK's (URL, headers, form fields in its
    order, basic auth), posted straight on the shared session: the SDK's
    layers (header building, values filtering, logging, response objects)
    cost more CPU per send than the HTTP call itself at the morning peak.
    The SDK still supplies the URL, the headers and, on an error answer,
    the exception, so the error mapping is its own."""

    @functools.cached_property
    def url(self) -> str:
        messages = self.client.messages
        return str(self.client.get_hostname(messages._version.absolute_url(messages._uri)))

    @functools.cached_property
    def headers(self) -> dict[str, str]:
        return {
            **self.client.get_headers(
                "POST",
                {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            ),
            "Authorization": aiohttp.encode_basic_auth(
                str(self.client.username), str(self.client.password)
            ),
        }

    def form(self, message: Message) -> dict[str, str]:
        """The SDK's form: its field order, no empty field."""
        form = {"To": str(message.address)}
        if self.status_callback is not None:
            form["StatusCallback"] = self.status_callback
        form["From"] = self.from_number
        form["Body"] = message.text
        return form

    async def send(self, message: Message) -> str:
        if not message.address:
            raise PermanentSendError("the patient has no phone number")
        with _mapped():
            # Encoded here as aiohttp's FormData would, without its layers.
            body = urlencode(self.form(message), doseq=True, encoding="utf-8").encode()
            async with self.pool.session().post(
                self.url, data=body, headers=self.headers, allow_redirects=False
            ) as response:
                status, answer = response.status, await response.text()
            if status < 200 or status >= 300:
                raise Version.exception("POST", self.url, Response(status, answer), _UNABLE)
            payload = json.loads(answer) if answer else {}
        return str(payload.get("sid"))


# The SDK's message on a refused create (base/version.py `create_async`).
_UNABLE = "Unable to create record"


@contextlib.contextmanager
def _mapped() -> Iterator[None]:
    """A provider's answer or silence as our send errors."""
    try:
        yield
    except TwilioRestException as error:
        if error.code in TWILIO_PERMANENT or (400 <= error.status < 500 and error.status != 429):
            raise PermanentSendError(f"Twilio {error.status}/{error.code}") from error
        raise TransientSendError(f"Twilio {error.status}/{error.code}") from error
    except (TwilioException, *UNREACHABLE) as error:
        raise TransientSendError(f"Twilio unreachable: {type(error).__name__}") from error
