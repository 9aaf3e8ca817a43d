"""Backups round-trip every row; restore hooks keep post-backup erasures;
encrypted files refuse a wrong key or a cut; retention keeps what it says."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from prescripcare.auth.models import Role
from prescripcare.auth.viewer import Viewer
from prescripcare.backup import hooks
from prescripcare.backup.crypto import BackupDecryptError, decrypt_stream, encrypt_stream
from prescripcare.backup.dump import backup, restore
from prescripcare.backup.retention import backup_name, prune
from prescripcare.backup.tools import ToolMissing, find_tool
from prescripcare.db import async_url, create_engine
from prescripcare.privacy.erasure import erase_patient
from prescripcare.settings import Settings
from tests.ops.backup_data import KEY, fingerprints
from tests.processes import cli_env


def _cli(args: list[str], settings: Settings, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prescripcare.cli", *args],
        env=cli_env(settings, BACKUP_ENCRYPTION_KEY=KEY),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


async def test_an_encrypted_backup_restores_every_row(
    migrated: Settings, clinical_data: None, empty_database: str, tmp_path: Path
) -> None:
    made = await asyncio.to_thread(
        _cli, ["backup", "--dir", str(tmp_path / "b")], migrated, tmp_path
    )
    assert made.returncode == 0, made.stderr
    [archive] = list((tmp_path / "b").iterdir())
    assert archive.name.endswith(".dump.enc")
    assert archive.stat().st_mode & 0o077 == 0  # owner-only
    assert b"Ada Backup" not in archive.read_bytes()

    done = await asyncio.to_thread(
        _cli,
        ["restore", str(archive), "--database-url", empty_database, "--yes"],
        migrated,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    source, restored = (
        await fingerprints(migrated.database_url or ""),
        await fingerprints(empty_database),
    )
    # The backup's own history row is written once its file is complete, so
    # the source holds it and the backup (and a restore into a database with
    # no history to keep) does not.
    assert source.pop("backup_runs")[0] == 1 and restored.pop("backup_runs")[0] == 0
    assert restored == source
    assert source["patients"][0] == 2 and source["doses"][0] > 0
    assert source["drug_concepts"][0] > 0


async def test_an_encrypted_backup_without_the_key_is_refused_clearly(
    migrated: Settings, empty_database: str, tmp_path: Path
) -> None:
    archive = tmp_path / backup_name(datetime.now(UTC), encrypted=True)
    with archive.open("wb") as out:
        encrypt_stream(os.urandom(32), io.BytesIO(b"an archive"), out)
    env = cli_env(migrated)
    env.pop("BACKUP_ENCRYPTION_KEY", None)
    done = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "prescripcare.cli",
            "restore",
            str(archive),
            "--yes",
            "--database-url",
            empty_database,
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "restore failed: the backup is encrypted: set BACKUP_ENCRYPTION_KEY" in done.stderr
    assert "Traceback" not in done.stderr


async def test_restore_needs_confirmation(migrated: Settings, tmp_path: Path) -> None:
    archive = tmp_path / backup_name(datetime.now(UTC), encrypted=False)
    archive.write_bytes(b"x")
    refused = await asyncio.to_thread(_cli, ["restore", str(archive)], migrated, tmp_path)
    assert refused.returncode != 0 and "--yes" in refused.stderr


class ForgetRemovedPatients:
    """A stand-in for the erasure ledger: patients missing from the live
    database when the restore starts stay missing afterwards."""

    name = "test-forget-removed-patients"

    async def capture(self, live: AsyncConnection) -> Any:
        return {str(r[0]) for r in await live.execute(text("SELECT id FROM patients"))}

    async def apply(self, restored: AsyncConnection, captured: Any) -> None:
        await restored.execute(
            text("DELETE FROM patients WHERE NOT (CAST(id AS text) = ANY(:keep))"),
            {"keep": sorted(captured)},
        )


async def test_restore_hooks_capture_before_and_apply_after(
    migrated: Settings, clinical_data: None, empty_database: str, tmp_path: Path
) -> None:
    url = migrated.database_url or ""
    result = await backup(url, tmp_path, datetime.now(UTC), key=None, keep=3, keep_days=7)
    await restore(empty_database, result.path, key=None, hooks=[])
    engine = create_async_engine(async_url(empty_database), poolclass=NullPool)
    try:
        async with engine.begin() as conn:  # an erasure made after the backup
            await conn.execute(text("DELETE FROM patients WHERE name = 'Ada Backup'"))
        hook = ForgetRemovedPatients()
        hooks.register(hook)
        try:
            await restore(empty_database, result.path, key=None, hooks=hooks.restore_hooks())
        finally:
            hooks.unregister(hook)
        async with engine.connect() as conn:
            names = (await conn.scalars(text("SELECT name FROM patients ORDER BY name"))).all()
    finally:
        await engine.dispose()
    assert names == ["Bea Backup"]


def test_encryption_refuses_a_wrong_key_and_a_cut_file() -> None:
    key = os.urandom(32)
    plain = os.urandom(3 * (1 << 20) + 17)
    sealed = io.BytesIO()
    encrypt_stream(key, io.BytesIO(plain), sealed)
    out = io.BytesIO()
    decrypt_stream(key, io.BytesIO(sealed.getvalue()), out)
    assert out.getvalue() == plain
    with pytest.raises(BackupDecryptError, match="wrong BACKUP_ENCRYPTION_KEY"):
        decrypt_stream(os.urandom(32), io.BytesIO(sealed.getvalue()), io.BytesIO())
    one_chunk = 10 + 8 + 4 + (1 << 20) + 16
    with pytest.raises(BackupDecryptError, match="cut short"):
        decrypt_stream(key, io.BytesIO(sealed.getvalue()[:one_chunk]), io.BytesIO())


def test_retention_keeps_the_newest_and_the_recent(tmp_path: Path) -> None:
    now = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    for days in (0, 1, 2, 10, 40, 41):
        (tmp_path / backup_name(now - timedelta(days=days), encrypted=True)).write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a backup")
    deleted = prune(tmp_path, keep=2, keep_days=30, now=now)
    assert sorted(p.name for p in deleted) == [
        backup_name(now - timedelta(days=41), True),
        backup_name(now - timedelta(days=40), True),
    ]
    assert len(list(tmp_path.iterdir())) == 5
    # Never below `keep`, however old: a stalled job must not empty the shelf.
    assert prune(tmp_path, keep=2, keep_days=0, now=now + timedelta(days=400)) != []
    assert len([p for p in tmp_path.iterdir() if p.name.endswith(".enc")]) == 2


def test_no_client_of_the_servers_major_version_is_a_clear_refusal() -> None:
    with pytest.raises(ToolMissing, match=r"no pg_dump for PostgreSQL 9 .*postgresql-client-9"):
        find_tool("pg_dump", 9)


async def test_an_erasure_made_after_the_backup_holds_after_restore(
    migrated: Settings, clinical_data: None, empty_database: str, tmp_path: Path
) -> None:
    """The real erasure and the real ledger hook: the backup still holds Ada,
    the live database has erased her, and restoring the backup over it must
    not bring her back."""
    result = await backup(
        migrated.database_url or "", tmp_path, datetime.now(UTC), key=None, keep=3, keep_days=7
    )
    await restore(empty_database, result.path, key=None, hooks=[])  # the live database
    live_settings = migrated.model_copy(update={"database_url": empty_database})
    engine = create_engine(live_settings)
    try:
        async with engine.connect() as conn:
            ada = await conn.scalar(text("SELECT id FROM patients WHERE name = 'Ada Backup'"))
        admin = Viewer(user_id=uuid.uuid4(), role=Role.ADMIN, email="admin@clinic.example.org")
        async with AsyncSession(engine) as session, session.begin():
            await erase_patient(session, admin, str(ada), datetime.now(UTC))

        await restore(empty_database, result.path, key=None, hooks=hooks.restore_hooks())

        async with engine.connect() as conn:
            names = (await conn.scalars(text("SELECT name FROM patients ORDER BY name"))).all()
            kept = (await conn.scalars(text("SELECT patient_id FROM erasure_ledger"))).all()
    finally:
        await engine.dispose()
    assert names == ["Bea Backup"]
    assert kept == [ada]  # and the ledger itself survives the restore
