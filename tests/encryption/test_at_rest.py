"""Encrypted columns hold envelopes, never plaintext, and authorised users
still read the values through the API."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from prescripcare.encryption.envelope import DecryptionError
from prescripcare.encryption.keys import keyring_from_settings
from prescripcare.encryption.rotate import encrypted_columns
from prescripcare.patients.models import Patient
from prescripcare.prescriptions.models import InteractionOverride
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.encryption.conftest import BIRTH, EMAIL, OVERRIDE, PHONE, SIG, STOPPED, Record
from tests.patients.documents import UPDATE_PATIENT

READ_BACK = """
query Patient($id: ID!) {
  patient(id: $id) {
    name phone email dateOfBirth
    prescriptions { sig statusReason }
  }
}"""


async def _raw(resources: Resources, where: str) -> list[bytes]:
    table, column = where.split(".")
    async with resources.engine.connect() as conn:
        rows = await conn.execute(text(f'SELECT "{column}" FROM "{table}"'))
        return [bytes(v) for (v,) in rows if v is not None]


async def test_every_encrypted_column_holds_no_plaintext(
    resources: Resources, record: Record
) -> None:
    columns = {c.where for c in encrypted_columns()}
    # The fixture covers every encrypted column the models declare.
    assert columns == set(record.secrets)
    current = keyring_from_settings(resources.settings).current.id
    for where, secret in record.secrets.items():
        stored = await _raw(resources, where)
        assert stored, f"{where} holds no value, so this test would prove nothing"
        for blob in stored:
            assert secret.encode() not in blob, where
            assert secret.lower().encode() not in blob.lower(), where
            assert blob[0] == 1 and blob[1:5] == current, where
    # The name stays plain: searchable and sortable.
    async with resources.engine.connect() as conn:
        names = list(await conn.scalars(text("SELECT name FROM patients")))
    assert names == ["Ada Lovelace"]


async def test_the_api_shows_the_values_to_the_care_team(
    gql: GraphQLClient, resources: Resources, record: Record
) -> None:
    out = await gql.data(READ_BACK, {"id": record.patient_id}, token=record.doctor.token)
    patient = out["patient"]
    assert (patient["phone"], patient["email"], patient["dateOfBirth"]) == (PHONE, EMAIL, BIRTH)
    notes = {(p["sig"], p["statusReason"]) for p in patient["prescriptions"]}
    assert notes == {(SIG, None), (None, STOPPED)}

    # The override's reason is not on the API; the ORM reads it back decrypted.
    async with resources.sessions() as s:
        reasons = list(await s.scalars(select(InteractionOverride.reason)))
    assert reasons == [OVERRIDE]


async def test_a_tampered_ciphertext_fails_loudly(resources: Resources, record: Record) -> None:
    async with resources.engine.begin() as conn:
        # Flip one bit of the ciphertext body, past the header.
        await conn.execute(
            text("UPDATE patients SET phone = set_byte(phone, 20, get_byte(phone, 20) # 1)")
        )
    async with resources.sessions() as s:
        with pytest.raises(DecryptionError, match=r"patients\.phone"):
            await s.scalars(select(Patient))


@pytest.mark.parametrize(
    "swap",
    [
        # Same table, another column.
        "UPDATE patients SET phone = email",
        # Another table's column of the same kind: an e-mail is an e-mail.
        "UPDATE patients SET email = (SELECT email FROM users LIMIT 1)",
    ],
)
async def test_a_ciphertext_moved_to_another_column_fails(
    resources: Resources, record: Record, swap: str
) -> None:
    async with resources.engine.begin() as conn:
        await conn.execute(text(swap))
    async with resources.sessions() as s:
        with pytest.raises(DecryptionError, match="failed authentication"):
            await s.scalars(select(Patient))


async def test_encrypted_columns_refuse_value_comparisons() -> None:
    # Ciphertexts are random: such a query would silently find nothing.
    with pytest.raises(TypeError, match="blind index"):
        select(Patient).where(col(Patient.phone) == PHONE)


async def test_the_sms_stop_lookup_follows_the_phone_number(
    gql: GraphQLClient, resources: Resources, record: Record
) -> None:
    async def found(number: str) -> list[str]:
        async with resources.sessions() as s:
            rows = await s.scalars(select(Patient).where(Patient.phone_blind_index == number))
            return [p.name for p in rows]

    assert await found(PHONE) == ["Ada Lovelace"]
    changed = await gql.data(
        UPDATE_PATIENT,
        {"id": record.patient_id, "input": {"phone": "+442079460888"}},
        token=record.doctor.token,
    )
    assert changed["updatePatient"]["errors"] == []
    assert await found(PHONE) == []
    assert await found("+442079460888") == ["Ada Lovelace"]
