"""Push through FCM's HTTP v1 API (google-auth for the service account's
token) against a local server that answers as Google does; device tokens
registered by the patient's app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select, update
from sqlmodel import col
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from prescripcare.auth.models import Role
from prescripcare.db import transaction
from prescripcare.notifications.fcm import FcmPushChannel
from prescripcare.patients.models import Patient
from prescripcare.reminders.consent import DeviceToken
from prescripcare.reminders.devices import DeviceDirectory
from prescripcare.reminders.models import Reminder
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import account
from tests.reminders.outbox import DUE, queue, send
from tests.standin import LocalServer

REGISTER = """mutation($token: String!, $platform: String!) {
  registerDevice(token: $token, platform: $platform) { ok errors { code field } } }"""


class FcmStandIn:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.server = LocalServer(
            Starlette(
                routes=[
                    Route("/token", self.token, methods=["POST"]),
                    Route("/v1/projects/{project}/messages:send", self.send, methods=["POST"]),
                ]
            )
        )

    async def token(self, request: Request) -> JSONResponse:
        form = await request.form()
        assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
        return JSONResponse(
            {"access_token": "ya29.test", "expires_in": 3600, "token_type": "Bearer"}
        )

    async def send(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != "Bearer ya29.test":
            return JSONResponse({"error": {"code": 401, "status": "UNAUTHENTICATED"}}, 401)
        token = (await request.json())["message"]["token"]
        if token == "gone":
            return JSONResponse(
                {
                    "error": {
                        "code": 404,
                        "status": "NOT_FOUND",
                        "details": [
                            {
                                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                "errorCode": "UNREGISTERED",
                            }
                        ],
                    }
                },
                404,
            )
        if token == "busy":
            return JSONResponse({"error": {"code": 503, "status": "UNAVAILABLE"}}, 503)
        self.sent.append(token)
        return JSONResponse({"name": f"projects/p/messages/{len(self.sent)}"})


@pytest.fixture
def fcm(tmp_path: Path) -> Iterator[tuple[FcmStandIn, Path]]:
    server = FcmStandIn()
    url = server.server.start()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    account_file = tmp_path / "service-account.json"
    account_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "p",
                "private_key_id": "k1",
                "private_key": pem,
                "client_email": "push@p.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": f"{url}/token",
            }
        )
    )
    yield server, account_file
    server.server.stop()


async def test_push_reaches_every_device_and_forgets_gone_ones(
    gql: GraphQLClient, resources: Resources, fcm: tuple[FcmStandIn, Path], catalog: object
) -> None:
    server, account_file = fcm
    me = await account(resources, Role.PATIENT, timezone="Europe/London")
    for token in ("phone-1", "gone"):
        out = (await gql.data(REGISTER, {"token": token, "platform": "android"}, token=me.token))[
            "registerDevice"
        ]
        assert out == {"ok": True, "errors": []}
    bad = await gql.data(REGISTER, {"token": "x", "platform": "fax"}, token=me.token)
    assert bad["registerDevice"]["errors"] == [{"code": "INVALID", "field": "platform"}]
    async with transaction(resources.sessions) as session:
        await session.execute(update(Patient).values(reminder_channels=["PUSH"]))
    from tests.prescriptions.documents import PRESCRIBE, prescription

    out = await gql.data(PRESCRIBE, prescription(str(me.patient_id), "6809"), token=me.token)
    assert out["prescribe"]["errors"] == [], out
    devices = DeviceDirectory(resources.sessions)
    push = FcmPushChannel(
        "p", str(account_file), devices.tokens_for, devices.forget, server.server.url
    )
    assert await queue(resources, DUE) == 1
    report = await send(resources, {"PUSH": push}, DUE)
    assert report.sent == 1 and server.sent == ["phone-1"]
    async with resources.sessions() as s:
        remaining = list(await s.scalars(select(col(DeviceToken.token))))
        reminder = (await s.scalars(select(Reminder))).one()
    assert remaining == ["phone-1"]
    assert reminder.provider_message_id == "projects/p/messages/1"


async def test_only_the_patient_registers_devices(gql: GraphQLClient, resources: Resources) -> None:
    carer = await account(resources, Role.CAREGIVER)
    body = await gql.raw(REGISTER, {"token": "t", "platform": "ios"}, token=carer.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
