"""erasePatient: no personal data left anywhere, sessions ended, nothing sent."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from prescripcare.auth.models import Role
from prescripcare.db import metadata, transaction
from prescripcare.privacy.ledger import LedgerEntry, ledger, reapply_erasures
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import account
from tests.prescriptions.documents import DOSES
from tests.privacy.conftest import Record
from tests.privacy.documents import ERASE

# Tables that keep the erased patient's id, by design: identifiers only.
KEEPS_PATIENT_ID = {"erasure_ledger", "audit_log"}
ME = "query { me { id email } }"


async def erase(gql: GraphQLClient, patient_id: str, token: str) -> dict[str, Any]:
    out: dict[str, Any] = (await gql.data(ERASE, {"patientId": patient_id}, token=token))[
        "erasePatient"
    ]
    return out


async def rows_mentioning(resources: Resources, values: list[str]) -> list[tuple[str, str]]:
    """(table, column) of every stored value containing one of `values`,
    whatever the column's type (cast to text)."""
    hits = []
    async with resources.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for column in table.columns:
                for value in values:
                    found = await conn.scalar(
                        text(
                            f'SELECT count(*) FROM "{table.name}" '
                            f'WHERE "{column.name}"::text ILIKE :pattern'
                        ),
                        {"pattern": f"%{value}%"},
                    )
                    if found:
                        hits.append((table.name, column.name))
    return hits


async def test_erasure_leaves_no_personal_data(
    gql: GraphQLClient, record: Record, resources: Resources
) -> None:
    values = [*record.personal_values, record.patient_id, str(record.patient.id)]
    assert len(await rows_mentioning(resources, values)) > 10  # the search finds them

    out = await erase(gql, record.patient_id, record.patient.now_token)

    assert out["ok"] and not out["errors"]
    summary = out["erased"]
    assert summary["patientId"] == record.patient_id and summary["accountDeleted"]
    assert summary["remindersCancelled"] == 1
    removed = {r["table"]: r["rows"] for r in summary["removed"]}
    assert removed["patients"] == removed["users"] == removed["prescriptions"] == 1
    assert removed["fills"] == 1 and removed["dose_records"] == 1 and removed["reminders"] == 1
    assert await rows_mentioning(resources, record.personal_values) == []
    left = await rows_mentioning(resources, [record.patient_id, str(record.patient.id)])
    assert {table for table, _ in left} <= KEEPS_PATIENT_ID
    async with resources.engine.connect() as conn:
        erased = await conn.scalar(
            text(
                "SELECT count(*) FROM audit_log WHERE action = 'PATIENT_ERASED' AND patient_id = :p"
            ),
            {"p": record.patient_id},
        )
    assert erased == 1  # the trail outlives the record it describes


async def test_erasure_ends_sessions_and_cancels_reminders(
    gql: GraphQLClient, record: Record, resources: Resources
) -> None:
    token = record.patient.now_token
    assert (await erase(gql, record.patient_id, token))["ok"]

    body = await gql.raw(ME, token=token)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    refresh = await gql.raw(
        "mutation R($t: String!) { refreshToken(refreshToken: $t) { errors { code } } }",
        {"t": record.patient.refresh_token},
    )
    assert refresh["data"]["refreshToken"]["errors"][0]["code"] == "TOKEN_INVALID"
    async with resources.engine.connect() as conn:
        pending = await conn.scalar(text("SELECT count(*) FROM reminders"))
    assert pending == 0
    # The caregiver and clinician no longer find the patient.
    for who in (record.carer, record.doctor):
        seen = await gql.raw(
            DOSES,
            {"id": record.patient_id, "from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00Z"},
            token=who.now_token,
        )
        assert seen["data"]["patient"] is None


async def test_only_the_patient_or_an_admin_may_erase(
    gql: GraphQLClient, record: Record, resources: Resources
) -> None:
    for who in (record.carer, record.doctor):
        body = await gql.raw(ERASE, {"patientId": record.patient_id}, token=who.now_token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    other = await account(resources, Role.PATIENT)
    out = await erase(gql, record.patient_id, other.now_token)
    assert not out["ok"] and [e["code"] for e in out["errors"]] == ["NOT_FOUND"]
    async with resources.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM erasure_ledger")) == 0
    assert await rows_mentioning(resources, record.personal_values) != []

    admin = await account(resources, Role.ADMIN)
    assert (await erase(gql, record.patient_id, admin.now_token))["ok"]
    async with transaction(resources.sessions) as session:
        (entry,) = await ledger(session)
    assert entry.patient_id == uuid.UUID(record.patient_id) and entry.erased_by == admin.id


async def test_reapplying_the_ledger_erases_a_restored_patient(
    gql: GraphQLClient, record: Record, resources: Resources
) -> None:
    """What restore does: a backup older than the erasure brings the patient
    back, and the ledger kept from before the restore erases them again."""
    async with transaction(resources.sessions) as session:
        assert await ledger(session) == []
    assert (await erase(gql, record.patient_id, record.patient.now_token))["ok"]
    async with transaction(resources.sessions) as session:
        kept = await ledger(session)
    # The restored database: the patient is back and the ledger is empty.
    async with resources.engine.begin() as conn:
        await conn.execute(text("DELETE FROM erasure_ledger"))
        await conn.execute(
            text(
                "INSERT INTO patients (id, name, timezone, reminder_channels, created_at, "
                "updated_at) VALUES (:id, 'Ada Quillfeather', 'UTC', '{}', now(), now())"
            ),
            {"id": record.patient_id},
        )
    async with transaction(resources.sessions) as session:
        assert await reapply_erasures(session, kept) == 1
    async with transaction(resources.sessions) as session:
        assert await reapply_erasures(session, kept) == 0  # idempotent
        assert [e.patient_id for e in await ledger(session)] == [kept[0].patient_id]
    assert await rows_mentioning(resources, ["Quillfeather"]) == []
    assert isinstance(kept[0], LedgerEntry)
