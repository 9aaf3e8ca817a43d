"""Point-in-time recovery with pgBackRest from the S3 store: a throwaway
PostgreSQL 15 archives its WAL through the shipped pgbackrest.conf (the
settings a deployment gives it by environment), a base backup is taken,
rows are written before and after a chosen instant, the cluster is lost
whole, and a restore to that instant brings back exactly the rows before it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from prescripcare.backup.history import wal_archiving
from prescripcare.db import Database
from tests import pgcluster
from tests.pgcluster import Cluster, as_owner, give_to_owner
from tests.s3server import ACCESS_KEY, REGION, SECRET_KEY, S3Server

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_CONFIG = ROOT / "infra" / "pgbackrest" / "pgbackrest.conf"
STANZA = "prescripcare"


def _pgbackrest() -> str | None:
    return shutil.which("pgbackrest")


def _env(s3: S3Server, bucket: str, home: Path, data: Path, port: int) -> dict[str, str]:
    """What a deployment sets on the PostgreSQL host: the store, its
    credentials and the cipher passphrase (from the Secret), and local paths."""
    return {
        **os.environ,
        "PGBACKREST_CONFIG": str(SHIPPED_CONFIG),
        "PGBACKREST_REPO1_S3_BUCKET": bucket,
        "PGBACKREST_REPO1_S3_ENDPOINT": s3.host,
        "PGBACKREST_REPO1_STORAGE_PORT": str(s3.port),
        "PGBACKREST_REPO1_STORAGE_CA_FILE": str(s3.ca),
        "PGBACKREST_REPO1_S3_REGION": REGION,
        "PGBACKREST_REPO1_S3_KEY": ACCESS_KEY,
        "PGBACKREST_REPO1_S3_KEY_SECRET": SECRET_KEY,
        "PGBACKREST_REPO1_CIPHER_PASS": "a-long-random-passphrase-from-the-secret",
        "PGBACKREST_PG1_PATH": str(data),
        "PGBACKREST_PG1_PORT": str(port),
        "PGBACKREST_PG1_SOCKET_PATH": str(home),
        "PGBACKREST_PG1_USER": "postgres",
        "PGBACKREST_SPOOL_PATH": str(home / "spool"),
        "PGBACKREST_LOG_PATH": str(home / "log"),
        "PGBACKREST_LOCK_PATH": str(home / "lock"),
    }


def _pgbackrest_run(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    return as_owner(["pgbackrest", f"--stanza={STANZA}", *args], env=env, timeout=timeout).stdout


async def _sql(cluster: Cluster, statement: str) -> object:
    engine = Database.of(cluster.url()).one_off_engine()
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(statement))
            return result.scalar() if result.returns_rows else None
    finally:
        await engine.dispose()


async def _labels(cluster: Cluster) -> list[str]:
    engine = Database.of(cluster.url()).one_off_engine()
    try:
        async with engine.connect() as conn:
            return list((await conn.scalars(text("SELECT label FROM events ORDER BY id"))).all())
    finally:
        await engine.dispose()


async def test_a_lost_cluster_is_restored_to_a_chosen_time_from_the_store(
    s3: S3Server, capsys: pytest.CaptureFixture[str]
) -> None:
    if _pgbackrest() is None:
        pytest.skip("pgbackrest is not installed (apt-get install pgbackrest; .ci/run does)")
    if reason := pgcluster.unavailable():
        pytest.skip(reason)
    bucket = f"pitr-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(bucket)
    with pgcluster.workspace() as home:
        for sub in ("spool", "log", "lock"):
            (home / sub).mkdir()
        give_to_owner(home)
        cluster = Cluster(home, {}, ["host all all 127.0.0.1/32 trust", "local all all trust"])
        env = _env(s3, bucket, home, cluster.data, cluster.port)
        cluster.settings.update(
            archive_mode="on",
            archive_command=f"'pgbackrest --stanza={STANZA} archive-push %p'",
            wal_level="replica",
        )
        cluster.init()
        try:
            cluster.start(env)
            _pgbackrest_run(env, "stanza-create")
            _pgbackrest_run(env, "check")
            _pgbackrest_run(env, "--type=full", "backup")

            # Written after the base backup: only WAL replay brings them back.
            await _sql(cluster, "CREATE TABLE events (id serial PRIMARY KEY, label text)")
            await _sql(cluster, "INSERT INTO events (label) VALUES ('before-1'), ('before-2')")
            await asyncio.sleep(1.1)
            target = await _sql(cluster, "SELECT clock_timestamp()")
            assert isinstance(target, datetime)
            await asyncio.sleep(1.1)
            await _sql(cluster, "INSERT INTO events (label) VALUES ('after-1')")
            await _sql(cluster, "UPDATE events SET label = 'before-2-changed-after' WHERE id = 2")
            # Every WAL segment up to now reaches the store (check switches
            # the segment and waits for it to be archived).
            _pgbackrest_run(env, "check")
            engine = Database.of(cluster.url()).one_off_engine()
            try:
                async with engine.connect() as conn:
                    archived = await wal_archiving(conn)
            finally:
                await engine.dispose()
            assert archived.last_archived is not None and archived.last_failed is None

            # Total loss of the server and its disk.
            cluster.stop()
            shutil.rmtree(cluster.data)
            cluster.data.mkdir(mode=0o700)
            give_to_owner(cluster.data)

            started = time.monotonic()
            _pgbackrest_run(
                env,
                "--type=time",
                f"--target={target.isoformat(sep=' ')}",
                "--target-action=promote",
                "restore",
            )
            cluster.start(env)
            deadline = time.monotonic() + 120
            while await _sql(cluster, "SELECT pg_is_in_recovery()"):
                assert time.monotonic() < deadline, cluster.log()[-3000:]
                await asyncio.sleep(0.2)
            drill = time.monotonic() - started
            labels = await _labels(cluster)
        finally:
            cluster.stop()
    assert labels == ["before-1", "before-2"]
    with capsys.disabled():
        print(f"\n[restore drill] pgBackRest restore to a point in time + recovery: {drill:.1f} s")
