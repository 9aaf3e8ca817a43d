"""Local servers that answer as Twilio's Messages API and SendGrid's v3 mail
API do, including their errors, for the real SDKs to talk to."""

from __future__ import annotations

import asyncio
import base64
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.standin import LocalServer


@dataclass
class Planned:
    """The next answers, in order; when none is left, success."""

    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def next(self) -> tuple[int, dict[str, Any]] | None:
        return self.answers.pop(0) if self.answers else None


class TwilioStandIn:
    def __init__(self, account_sid: str, auth_token: str) -> None:
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


class SendGridStandIn:
    def __init__(self, api_key: str) -> None:
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
