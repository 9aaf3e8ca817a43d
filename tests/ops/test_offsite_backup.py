"""Backups leave the cluster: `prescripcare backup` uploads the encrypted
file to an S3 store (a local S3 server answering as S3 does) with retention
there, `restore` fetches it back, and each good backup is recorded for the
backup-age metric and alert."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from prescripcare.backup.crypto import MAGIC
from prescripcare.backup.history import record_success
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.ops.backup_data import KEY, fingerprints
from tests.ops.scrape import scrape
from tests.processes import cli_env
from tests.s3server import S3Server

AGE = 'prescripcare_backup_last_success_timestamp_seconds{kind="dump"}'


def _cli(
    args: list[str], settings: Settings, cwd: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prescripcare.cli", *args],
        env=cli_env(settings, BACKUP_ENCRYPTION_KEY=KEY, LOG_FORMAT="text", **env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _bucket(s3: S3Server) -> str:
    name = f"backups-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(name)
    return name


async def _history(resources: Resources) -> list[tuple[str, str]]:
    async with resources.engine.connect() as conn:
        rows = await conn.execute(text("SELECT kind, location FROM backup_runs"))
        return [(str(kind), str(location)) for kind, location in rows]


async def test_a_backup_reaches_the_store_encrypted_and_restores_from_latest(
    migrated: Settings,
    clinical_data: None,
    empty_database: str,
    s3: S3Server,
    resources: Resources,
    client: httpx.AsyncClient,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bucket = _bucket(s3)
    store = s3.client()
    old = "dumps/prescripcare-20200101T000000Z.dump.enc"
    others = ["dumps/notes.txt", "dumps/archive/prescripcare-20200101T000000Z.dump.enc"]
    for key in [old, *others]:
        store.put_object(Bucket=bucket, Key=key, Body=b"x")

    staging = tmp_path / "tmp"
    staging.mkdir()
    made = await asyncio.to_thread(
        _cli,
        ["backup", "--keep", "1", "--keep-days", "1"],
        migrated,
        tmp_path,
        TMPDIR=str(staging),
        **s3.env(bucket),
    )
    assert made.returncode == 0, made.stderr
    keys = {o["Key"] for o in store.list_objects_v2(Bucket=bucket)["Contents"]}
    [new] = [k for k in keys if k.startswith("dumps/prescripcare-") and k != old]
    assert f"backup written: s3://{bucket}/{new}" in made.stdout
    # Retention applies in the store; what is not this deployment's stays.
    assert f"retention: deleted {old}" in made.stdout
    assert keys == {new, *others}
    body = store.get_object(Bucket=bucket, Key=new)["Body"].read()
    assert body.startswith(MAGIC) and b"Ada Backup" not in body
    assert os.listdir(staging) == [], "no local copy is kept without --dir"

    assert await _history(resources) == [("dump", f"s3://{bucket}/{new}")]
    age = (await scrape(client))[AGE]
    assert abs(age - datetime.now(UTC).timestamp()) < 300

    started = time.monotonic()
    done = await asyncio.to_thread(
        _cli,
        [
            "restore",
            "latest",
            "--database-url",
            empty_database,
            "--ledger-from",
            migrated.database_url or "",
            "--yes",
        ],
        migrated,
        tmp_path,
        **s3.env(bucket),
    )
    drill = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert f"fetching s3://{bucket}/{new}" in done.stdout
    source, restored = (
        await fingerprints(migrated.database_url or ""),
        await fingerprints(empty_database),
    )
    # Every row, and the live backup history (kept by its restore hook, though
    # the backup itself predates its own record).
    assert restored == source
    assert source["patients"][0] == 2 and source["backup_runs"][0] == 1
    with capsys.disabled():
        print(f"\n[restore drill] prescripcare restore latest from S3: {drill:.1f} s")


async def test_a_failed_upload_fails_the_backup_and_is_not_recorded(
    migrated: Settings,
    s3: S3Server,
    resources: Resources,
    client: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    missing = f"no-such-bucket-{uuid.uuid4().hex[:8]}"
    done = await asyncio.to_thread(
        _cli, ["backup", "--dir", str(tmp_path)], migrated, tmp_path, **s3.env(missing)
    )
    assert done.returncode == 1
    assert "backup failed: object store: uploading prescripcare-" in done.stderr
    assert "NoSuchBucket" in done.stderr and "Traceback" not in done.stderr
    assert await _history(resources) == []
    # No good backup yet: the age metric reads 0, so the alert fires.
    assert (await scrape(client))[AGE] == 0


async def test_the_age_metric_is_the_newest_good_backup(
    migrated: Settings, resources: Resources, client: httpx.AsyncClient
) -> None:
    newest = datetime(2026, 12, 1, 2, 17, tzinfo=UTC)
    async with resources.engine.begin() as conn:
        for at in (newest - timedelta(days=1), newest):
            await record_success(conn, "dump", at, "s3://b/k", 1)
    assert (await scrape(client))[AGE] == newest.timestamp()


async def test_restore_names_what_is_wrong_with_a_remote_backup(
    migrated: Settings, s3: S3Server, tmp_path: Path
) -> None:
    bucket = _bucket(s3)
    cases = [
        (["restore", "latest", "--yes"], {}, "restoring latest needs BACKUP_S3_BUCKET"),
        (
            ["restore", "s3://elsewhere/dumps/prescripcare-20260101T000000Z.dump.enc", "--yes"],
            s3.env(bucket),
            f"is not in BACKUP_S3_BUCKET ({bucket})",
        ),
        (["restore", "latest", "--yes"], s3.env(bucket), f"no backup under s3://{bucket}/dumps/"),
        (["backup"], {}, "backup needs --dir, BACKUP_S3_BUCKET, or both"),
    ]
    for args, env, message in cases:
        done = await asyncio.to_thread(_cli, args, migrated, tmp_path, **env)
        assert done.returncode == 1, done.stdout
        assert message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
