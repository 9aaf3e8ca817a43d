"""Local servers that answer as Twilio's Messages API, SendGrid's v3 mail API
and Sentry's envelope ingest do, including their errors, for the real SDKs to
talk to. The fixtures that start them are in tests/conftest.py."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Self

from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from prescripcare.settings import Settings
from tests.standin import LocalServer

TWILIO_SID, TWILIO_TOKEN, TWILIO_FROM = "AC" + "0" * 32, "twilio-test-token", "+15005550006"
SENDGRID_KEY = "SG.test-key"


class Served:
    """A stand-in is served while its `with` block runs."""

    server: LocalServer

    def __enter__(self) -> Self:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


@dataclass
class Planned:
    """The next answers, in order; when none is left, success."""

    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def next(self) -> tuple[int, dict[str, Any]] | None:
        return self.answers.pop(0) if self.answers else None


class TwilioStandIn(Served):
    def __init__(self, account_sid: str = TWILIO_SID, auth_token: str = TWILIO_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.plan = Planned()
        self.messages: list[dict[str, str]] = []
        # Seconds each message takes to answer (a slow provider).
        self.delay = 0.0
        app = Starlette(
            routes=[
                Route("/2010-04-01/Accounts/{sid}/Messages.json", self.create, methods=["POST"])
            ]
        )
        self.server = LocalServer(app)

    def configure(self, settings: Settings) -> Settings:
        """`settings` sending SMS through this stand-in."""
        return settings.model_copy(
            update={
                "twilio_account_sid": self.account_sid,
                "twilio_auth_token": SecretStr(self.auth_token),
                "twilio_from_number": TWILIO_FROM,
                "twilio_api_url": self.server.url,
            }
        )

    def env(self) -> dict[str, str]:
        """The same, as the environment of a CLI process."""
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_FROM_NUMBER": TWILIO_FROM,
            "TWILIO_API_URL": self.server.url,
        }

    async def create(self, request: Request) -> Response:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse(
                {
                    "code": 20003,
                    "message": "Authenticate",
                    "status": 401,
                    "more_info": "https://www.twilio.com/docs/errors/20003",
                },
                status_code=401,
            )
        form = dict(await request.form())
        if self.delay:
            await asyncio.sleep(self.delay)
        planned = self.plan.next()
        if planned is not None:
            status, body = planned
            return JSONResponse({"status": status, **body}, status_code=status)
        sid = "SM" + uuid.uuid4().hex
        self.messages.append({k: str(v) for k, v in form.items()})
        return JSONResponse(
            {
                "sid": sid,
                "account_sid": self.account_sid,
                "to": form.get("To"),
                "from": form.get("From"),
                "body": form.get("Body"),
                "status": "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "date_created": "Wed, 14 Jan 2026 08:00:00 +0000",
                "error_code": None,
                "error_message": None,
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            },
            status_code=201,
        )


class SendGridStandIn(Served):
    def __init__(self, api_key: str = SENDGRID_KEY) -> None:
        self.api_key = api_key
        self.plan = Planned()
        self.mails: list[dict[str, Any]] = []
        app = Starlette(routes=[Route("/v3/mail/send", self.send, methods=["POST"])])
        self.server = LocalServer(app)

    async def send(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse(
                {
                    "errors": [
                        {
                            "message": "The provided authorization grant is "
                            "invalid, expired, or revoked",
                            "field": None,
                        }
                    ]
                },
                status_code=401,
            )
        planned = self.plan.next()
        if planned is not None:
            status, body = planned
            return JSONResponse(body, status_code=status)
        self.mails.append(await request.json())
        return Response(status_code=202, headers={"X-Message-Id": uuid.uuid4().hex[:22]})


class SentryStandIn(Served):
    """Accepts the SDK's envelopes as sentry.io would and keeps them."""

    def __init__(self) -> None:
        self.envelopes: list[bytes] = []
        self.server = LocalServer(
            Starlette(routes=[Route("/api/{project}/envelope/", self.envelope, methods=["POST"])])
        )

    def dsn(self, project: int) -> str:
        return self.server.url.replace("http://", "http://publickey@") + f"/{project}"

    async def envelope(self, request: Request) -> Response:
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        self.envelopes.append(body)
        return JSONResponse({})

    def events(self) -> list[dict[str, Any]]:
        found = []
        for raw in self.envelopes:
            for line in raw.splitlines():
                item = json.loads(line) if line.startswith(b"{") else None
                if isinstance(item, dict) and "exception" in item:
                    found.append(item)
        return found
