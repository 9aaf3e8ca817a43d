"""Migration 0009 encrypts the rows a deployment already has, and its
downgrade gives them back in plaintext."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import asyncpg
import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from prescripcare.db import create_engine, create_session_factory, transaction
from prescripcare.migrate import alembic_config, upgrade
from prescripcare.patients.models import Patient
from prescripcare.prescriptions.models import InteractionOverride, Prescription
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.factories import PASSWORD

NOW = datetime(2026, 1, 13, 15, 0, tzinfo=UTC)
PLAIN = {
    "users.email": "grace@navy.example.mil",
    "patients.phone": "+442079460555",
    "patients.email": "grace.home@example.org",
    "patients.date_of_birth": "1906-12-09",
    "prescriptions.sig": "One tablet at night; daughter helps",
    "prescriptions.status_reason": "Dizziness reported by her daughter",
    "interaction_overrides.reason": "Cardiologist agreed on the phone",
}


@pytest.fixture
async def scratch(migrated: Settings, service_urls: tuple[str, str]) -> AsyncIterator[AsyncEngine]:
    """A database of its own, at the schema before field encryption."""
    name = f"prescripcare_enc_{uuid.uuid4().hex[:10]}"
    server = make_url(service_urls[0]).set(drivername="postgresql")
    admin = await asyncpg.connect(server.render_as_string(hide_password=False))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(migrated.model_copy(update={"database_url": url}))
    try:
        await upgrade(engine, "0008")
        yield engine
    finally:
        await engine.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _plaintext_rows(engine: AsyncEngine, password_hash: str) -> dict[str, uuid.UUID]:
    ids = {k: uuid.uuid4() for k in ("user", "patient", "rx", "override")}
    statements: list[tuple[str, dict[str, object]]] = [
        (
            "INSERT INTO users (id, email, password_hash, role, name, created_at) "
            "VALUES (:user, :email, :hash, 'CLINICIAN', 'Grace Hopper', :now)",
            {"email": PLAIN["users.email"], "hash": password_hash},
        ),
        (
            "INSERT INTO patients (id, name, date_of_birth, timezone, phone, email, "
            "created_at, updated_at) VALUES (:patient, 'Grace Hopper', :born, "
            "'Europe/London', :phone, :pemail, :now, :now)",
            {
                "born": date.fromisoformat(PLAIN["patients.date_of_birth"]),
                "phone": PLAIN["patients.phone"],
                "pemail": PLAIN["patients.email"],
            },
        ),
        (
            "INSERT INTO drug_concepts (rxcui, tty, name, source, source_version, licence, "
            "imported_at) VALUES ('999001', 'IN', 'testamine', 'test', '1', 'test', :now) "
            "ON CONFLICT DO NOTHING",
            {},
        ),
        (
            "INSERT INTO prescriptions (id, patient_id, rxcui, dose_quantity, dose_unit, sig, "
            "start_date, times_of_day, days_of_week, as_needed, status, status_reason, "
            "created_at, updated_at) VALUES (:rx, :patient, '999001', 1, 'tablet', :sig, "
            "'2026-01-13', ARRAY[]::time[], ARRAY[]::smallint[], false, 'DISCONTINUED', "
            ":reason, :now, :now)",
            {"sig": PLAIN["prescriptions.sig"], "reason": PLAIN["prescriptions.status_reason"]},
        ),
        (
            "INSERT INTO interaction_overrides (id, prescription_id, severity, description, "
            "ingredient_rxcuis, reason, created_at) VALUES (:override, :rx, 'MAJOR', 'rule', "
            "ARRAY['999001'], :oreason, :now)",
            {"oreason": PLAIN["interaction_overrides.reason"]},
        ),
    ]
    async with engine.begin() as conn:
        for sql, params in statements:
            await conn.execute(text(sql), {**ids, "now": NOW, **params})
    return ids


async def _raw(engine: AsyncEngine) -> dict[str, bytes | str | date]:
    found = {}
    async with engine.connect() as conn:
        for where in PLAIN:
            table, column = where.split(".")
            found[where] = await conn.scalar(text(f'SELECT "{column}" FROM "{table}"'))
    return found


def _downgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "0008")


async def test_existing_rows_are_encrypted_and_login_still_works(
    scratch: AsyncEngine, resources: Resources
) -> None:
    ids = await _plaintext_rows(scratch, await resources.auth.passwords.hash(PASSWORD))
    await upgrade(scratch)

    for where, stored in (await _raw(scratch)).items():
        assert isinstance(stored, bytes), where
        assert PLAIN[where].encode() not in stored, where
    sessions = create_session_factory(scratch)
    async with transaction(sessions) as session:
        signed = await resources.auth.login(session, "Grace@Navy.example.mil", PASSWORD, NOW)
        assert signed.user.id == ids["user"]
        patient = await session.get(Patient, ids["patient"])
        rx = await session.get(Prescription, ids["rx"])
        override = await session.get(InteractionOverride, ids["override"])
    assert patient is not None and rx is not None and override is not None
    assert (patient.phone, patient.email) == (PLAIN["patients.phone"], PLAIN["patients.email"])
    assert patient.date_of_birth == date.fromisoformat(PLAIN["patients.date_of_birth"])
    assert (rx.sig, rx.status_reason, override.reason) == (
        PLAIN["prescriptions.sig"],
        PLAIN["prescriptions.status_reason"],
        PLAIN["interaction_overrides.reason"],
    )

    async with scratch.begin() as conn:
        await conn.run_sync(_downgrade)
    back = await _raw(scratch)
    back["patients.date_of_birth"] = str(back["patients.date_of_birth"])
    assert back == PLAIN
