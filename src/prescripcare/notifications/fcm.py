"""Push through Firebase Cloud Messaging's HTTP v1 API: an OAuth2 token from
the service account (google-auth, which also reads the account's token_uri),
then one send per device token, on the process's shared HTTP pool. The
API's base URL is a setting, so tests run this code against a local server
that answers as FCM does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from google.auth.transport.requests import Request
from google.oauth2 import service_account

from prescripcare.notifications.http import HttpPool
from prescripcare.notifications.message import Message, PermanentSendError, TransientSendError
from prescripcare.notifications.unreachable import UNREACHABLE

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
DEFAULT_API = "https://fcm.googleapis.com"
# A token the app no longer holds: stop using it.
GONE = {"UNREGISTERED", "NOT_FOUND"}


class FcmPushChannel:
    name = "PUSH"

    def __init__(
        self,
        project_id: str,
        service_account_file: str,
        tokens_for: Callable[[Message], Awaitable[list[str]]],
        forget: Callable[[str], Awaitable[None]],
        api_url: str | None = None,
        pool: HttpPool | None = None,
    ) -> None:
        self.pool = pool or HttpPool()
        # Concurrent sends that find the token expired refresh it once.
        self._refreshing = asyncio.Lock()
        self.project_id = project_id
        self.credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
            service_account_file, scopes=[SCOPE]
        )
        self.tokens_for = tokens_for
        self.forget = forget
        self.url = f"{api_url or DEFAULT_API}/v1/projects/{project_id}/messages:send"

    async def _bearer(self) -> str:
        async with self._refreshing:
            if not self.credentials.valid:
                try:
                    await asyncio.to_thread(self.credentials.refresh, Request())
                except Exception as error:
                    raise TransientSendError(f"FCM auth: {type(error).__name__}") from error
        return str(self.credentials.token)

    async def send(self, message: Message) -> str:
        tokens = await self.tokens_for(message)
        if not tokens:
            raise PermanentSendError("no device registered for push")
        bearer = await self._bearer()
        names, transient = [], None
        for token in tokens:
            body = {
                "message": {
                    "token": token,
                    "notification": {"title": "PrescripCare", "body": message.text},
                }
            }
            try:
                async with self.pool.session().post(
                    self.url, json=body, headers={"Authorization": f"Bearer {bearer}"}
                ) as response:
                    code = response.status
                    answer = await response.read()
            except UNREACHABLE as error:
                transient = f"FCM unreachable: {type(error).__name__}"
                continue
            if code == 200:
                names.append(str(_json(answer).get("name", "")))
                continue
            status = _error_status(answer)
            if status in GONE:
                await self.forget(token)
            elif code == 429 or code >= 500:
                transient = f"FCM {code} {status}"
        if names:
            return names[0]
        if transient:
            raise TransientSendError(transient)
        raise PermanentSendError("every device token was refused")


def _json(answer: bytes) -> dict[str, Any]:
    try:
        found = json.loads(answer)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _error_status(answer: bytes) -> str:
    error = _json(answer).get("error", {})
    if not isinstance(error, dict):
        return ""
    codes = [d.get("errorCode", "") for d in error.get("details", []) if isinstance(d, dict)]
    return next((c for c in codes if c), str(error.get("status", "")))
