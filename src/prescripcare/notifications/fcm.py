"""Push through Firebase Cloud Messaging's HTTP v1 API: an OAuth2 token from
the service account (google-auth, which also reads the account's token_uri),
then one send per device token. The API's base URL is a setting, so tests run
this code against a local server that answers as FCM does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
from google.auth.transport.requests import Request
from google.oauth2 import service_account

from prescripcare.notifications.message import Message, PermanentSendError, TransientSendError

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
    ) -> None:
        self.project_id = project_id
        self.credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
            service_account_file, scopes=[SCOPE]
        )
        self.tokens_for = tokens_for
        self.forget = forget
        self.url = f"{api_url or DEFAULT_API}/v1/projects/{project_id}/messages:send"

    async def _bearer(self) -> str:
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
        async with httpx.AsyncClient(timeout=10) as client:
            for token in tokens:
                body = {
                    "message": {
                        "token": token,
                        "notification": {"title": "PrescripCare", "body": message.text},
                    }
                }
                try:
                    response = await client.post(
                        self.url, json=body, headers={"Authorization": f"Bearer {bearer}"}
                    )
                except httpx.HTTPError as error:
                    transient = f"FCM unreachable: {type(error).__name__}"
                    continue
                if response.status_code == 200:
                    names.append(str(response.json().get("name", "")))
                    continue
                status = _error_status(response)
                if status in GONE:
                    await self.forget(token)
                elif response.status_code == 429 or response.status_code >= 500:
                    transient = f"FCM {response.status_code} {status}"
        if names:
            return names[0]
        if transient:
            raise TransientSendError(transient)
        raise PermanentSendError("every device token was refused")


def _error_status(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
    except ValueError:
        return ""
    codes = [d.get("errorCode", "") for d in error.get("details", []) if isinstance(d, dict)]
    return next((c for c in codes if c), str(error.get("status", "")))
