"""A patient e-mails their report through SendGrid, PDF attached, to a
caregiver or clinician who already has access, never to anyone else; each
sending is in the audit log."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col
from starlette.applications import Starlette

from prescripcare.app import resources_of
from prescripcare.audit.models import AuditEntry
from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from tests.auth.limited import client_from
from tests.conftest import GraphQLClient
from tests.factories import Account, account
from tests.providers import SendGridStandIn
from tests.reports.history import History, build_history

SEND = """
mutation($id: ID!, $to: ID!, $from: Date, $until: Date) {
  sendAdherenceReport(patientId: $id, recipientId: $to, from: $from, to: $until) {
    ok errors { code field message }
  }
}"""


@pytest.fixture
async def gql(mailing_app: Starlette) -> AsyncIterator[GraphQLClient]:
    async with client_from(mailing_app, "192.0.2.30") as http:
        yield GraphQLClient(http)


@pytest.fixture
async def history(
    gql: GraphQLClient, mailing_app: Starlette, clock: SettableClock, catalog: object
) -> History:
    resources = resources_of(mailing_app)
    doctor = await account(resources, Role.CLINICIAN)
    return await build_history(gql, resources, doctor, clock.now())


async def send(gql: GraphQLClient, who: Account, pid: str, to: object) -> dict[str, Any]:
    variables = {"id": pid, "to": str(to), "from": "2025-12-01", "until": "2025-12-31"}
    out: dict[str, Any] = (await gql.data(SEND, variables, token=who.now_token))[
        "sendAdherenceReport"
    ]
    return out


async def test_the_patient_sends_it_to_their_caregiver_and_clinician(
    gql: GraphQLClient, mailing_app: Starlette, sendgrid: SendGridStandIn, history: History
) -> None:
    resources = resources_of(mailing_app)
    for recipient in (history.caregiver, history.doctor):
        assert await send(gql, history.patient, history.patient_id, recipient.id) == {
            "ok": True,
            "errors": [],
        }
    await resources.auth.resets.mail.drain()
    assert [m["personalizations"][0]["to"][0]["email"] for m in sendgrid.mails] == [
        history.caregiver.email,
        history.doctor.email,
    ]
    mail = sendgrid.mails[0]
    assert mail["subject"] == "Se compartió con usted un informe de adherencia a la medicación"
    body = mail["content"][0]["value"]
    assert "del 1 dic 2025 al 31 dic 2025" in body
    assert "Test Patient" not in body and "metformin" not in body.lower()  # no PHI in the body
    [attached] = mail["attachments"]
    assert attached["filename"] == "adherence-report-2025-12-01-2025-12-31.pdf"
    assert attached["type"] == "application/pdf"
    assert base64.b64decode(attached["content"]).startswith(b"%PDF")
    async with resources.sessions() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry).where(col(AuditEntry.action) == "PATIENT_REPORT_SENT")
            )
        )
    assert [(e.actor_id, e.entity_id, str(e.patient_id)) for e in entries] == [
        (history.patient.id, str(history.caregiver.id), history.patient_id),
        (history.patient.id, str(history.doctor.id), history.patient_id),
    ]


async def test_only_to_someone_who_already_has_access(
    gql: GraphQLClient, mailing_app: Starlette, sendgrid: SendGridStandIn, history: History
) -> None:
    resources = resources_of(mailing_app)
    outsiders = [
        await account(resources, Role.CAREGIVER),
        await account(resources, Role.CLINICIAN),
        await account(resources, Role.ADMIN),
    ]
    for outsider in outsiders:
        refused = await send(gql, history.patient, history.patient_id, outsider.id)
        assert refused["ok"] is False
        assert (refused["errors"][0]["code"], refused["errors"][0]["field"]) == (
            "NOT_FOUND",
            "recipientId",
        )
    assert (await send(gql, history.patient, history.patient_id, "not-an-id"))["ok"] is False
    # Sharing is the patient's own decision: their caregiver may not.
    body = await gql.raw(
        SEND,
        {"id": history.patient_id, "to": str(history.doctor.id)},
        token=history.caregiver.now_token,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await resources.auth.resets.mail.drain()
    assert sendgrid.mails == []
