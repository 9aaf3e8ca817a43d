"""`prescripcare rotate-key`: data written under key A, ENCRYPTION_KEY=B and
ENCRYPTION_KEYS_OLD=A, rotate; then B alone reads everything and login by
e-mail still works."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from prescripcare.db import create_engine, create_session_factory, transaction
from prescripcare.encryption.envelope import UnknownKeyError
from prescripcare.encryption.keyformat import decode_key, encode_key
from prescripcare.encryption.keys import derive_blind_index_key, key_id, keyring_from_settings
from prescripcare.encryption.rotate import RotationRefused, rotate
from prescripcare.patients.models import Patient
from prescripcare.resources import Resources
from prescripcare.settings import DEV_ENCRYPTION_KEY, Settings
from tests.encryption.conftest import BIRTH, PHONE, Record
from tests.factories import PASSWORD
from tests.processes import CLI, cli_env

KEY_A = DEV_ENCRYPTION_KEY  # the suite's application writes under the dev key
KEY_B = encode_key(os.urandom(32))
# The blind-index key in use before the rotation, pinned for it.
PINNED = encode_key(derive_blind_index_key(decode_key(KEY_A, "A")))


def _id(key: str) -> bytes:
    return key_id(decode_key(key, "key"))


def _settings(base: Settings, **keys: str) -> Settings:
    return Settings(
        database_url=base.database_url,
        redis_url=base.redis_url,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
        **keys,  # type: ignore[arg-type]
    )


def _rotate_cli(
    settings: Settings, cwd: Path, *extra: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "rotate-key", *extra],
        env=cli_env(settings, **env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def _key_ids(resources: Resources) -> dict[str, set[bytes]]:
    found: dict[str, set[bytes]] = {}
    async with resources.engine.connect() as conn:
        for where in (
            "users.email",
            "patients.phone",
            "patients.email",
            "patients.date_of_birth",
            "prescriptions.sig",
            "prescriptions.status_reason",
            "interaction_overrides.reason",
        ):
            table, column = where.split(".")
            rows = await conn.scalars(
                text(f'SELECT substring("{column}" from 2 for 4) FROM "{table}"')
            )
            found[where] = {bytes(r) for r in rows if r is not None}
    return found


@pytest.fixture
async def reader() -> AsyncIterator[Callable[[Settings], object]]:
    """Engines built for one test with other keys, disposed after it."""
    engines = []

    def make(settings: Settings) -> object:
        engine = create_engine(settings)
        engines.append(engine)
        return create_session_factory(engine)

    yield make
    for engine in engines:
        await engine.dispose()


async def test_rotation_reencrypts_everything_and_login_still_works(
    resources: Resources,
    record: Record,
    migrated: Settings,
    tmp_path: Path,
    reader: Callable[[Settings], Any],
) -> None:
    assert all(ids == {_id(KEY_A)} for ids in (await _key_ids(resources)).values())
    keys = {"ENCRYPTION_KEY": KEY_B, "ENCRYPTION_KEYS_OLD": KEY_A, "BLIND_INDEX_KEY": PINNED}
    done = _rotate_cli(migrated, tmp_path, "--batch-size", "1", **keys)
    assert done.returncode == 0, done.stderr
    assert "patients.phone: 1 re-encrypted" in done.stdout
    assert f"{len(record.secrets)} values re-encrypted; all now under key {_id(KEY_B).hex()}" in (
        done.stdout
    )
    assert all(ids == {_id(KEY_B)} for ids in (await _key_ids(resources)).values())

    again = _rotate_cli(migrated, tmp_path, **keys)
    assert again.returncode == 0, again.stderr
    assert "0 values re-encrypted" in again.stdout

    # B alone (A retired for good) reads every value, and login finds the user.
    only_b = reader(_settings(migrated, encryption_key=KEY_B, blind_index_key=PINNED))
    async with transaction(only_b) as session:
        patient = await session.get(Patient, uuid.UUID(record.patient_id))
        assert patient is not None
        assert (patient.phone, patient.date_of_birth.isoformat()) == (PHONE, BIRTH)  # type: ignore[union-attr]
        signed = await resources.auth.login(
            session, record.doctor.email.upper(), PASSWORD, resources.clock.now()
        )
    assert signed.user.id == record.doctor.id

    # And A alone no longer can: the values really moved.
    only_a = reader(_settings(migrated, encryption_key=KEY_A))
    async with only_a() as session:
        with pytest.raises(UnknownKeyError):
            await session.get(Patient, uuid.UUID(record.patient_id))


async def test_an_interrupted_rotation_resumes_where_it_stopped(
    resources: Resources, record: Record, migrated: Settings
) -> None:
    settings = _settings(
        migrated, encryption_key=KEY_B, encryption_keys_old=KEY_A, blind_index_key=PINNED
    )
    keyring = keyring_from_settings(settings)
    engine = create_engine(settings)

    class Stop(Exception):
        pass

    def stop(_where: str, _done: int) -> None:
        raise Stop

    try:
        with pytest.raises(Stop):
            await rotate(engine, keyring, batch_size=1, progress=stop)
        # The first batch was committed before the stop.
        assert sum(len(ids - {_id(KEY_A)}) for ids in (await _key_ids(resources)).values()) == 1
        report = await rotate(engine, keyring, batch_size=2)
    finally:
        await engine.dispose()
    assert report.total == len(record.secrets) - 1  # all but the first batch
    assert all(ids == {_id(KEY_B)} for ids in (await _key_ids(resources)).values())


async def test_rotation_refuses_without_an_explicit_blind_index_key(
    resources: Resources, record: Record, migrated: Settings, tmp_path: Path
) -> None:
    # Only the new key: the blind index would be derived from it.
    refused = _rotate_cli(migrated, tmp_path, ENCRYPTION_KEY=KEY_B)
    assert refused.returncode != 0
    assert "BLIND_INDEX_KEY is not set" in refused.stderr
    assert "logins would fail" in refused.stderr
    # Listing an old key without pinning the blind index is refused by the
    # settings of every command, the API's included.
    refused = _rotate_cli(migrated, tmp_path, ENCRYPTION_KEY=KEY_B, ENCRYPTION_KEYS_OLD=KEY_A)
    assert refused.returncode != 0
    assert "BLIND_INDEX_KEY" in refused.stderr
    assert all(ids == {_id(KEY_A)} for ids in (await _key_ids(resources)).values())


async def test_rotation_refuses_values_under_an_unknown_key(
    resources: Resources, record: Record, migrated: Settings
) -> None:
    stranger = encode_key(os.urandom(32))
    settings = _settings(
        migrated, encryption_key=KEY_B, encryption_keys_old=stranger, blind_index_key=PINNED
    )
    engine = create_engine(settings)
    try:
        with pytest.raises(RotationRefused, match=_id(KEY_A).hex()):
            await rotate(engine, keyring_from_settings(settings))
    finally:
        await engine.dispose()
    # Checked before anything changed.
    assert all(ids == {_id(KEY_A)} for ids in (await _key_ids(resources)).values())


def test_blind_index_key_prints_the_key_to_pin(migrated: Settings, tmp_path: Path) -> None:
    shown = subprocess.run(
        [*CLI, "blind-index-key"],
        env=cli_env(migrated),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == PINNED
    assert "derived from ENCRYPTION_KEY" in shown.stderr
