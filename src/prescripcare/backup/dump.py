"""`prescripcare backup` and `prescripcare restore`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text

from prescripcare.backup.crypto import decrypt_stream, encrypt_stream, is_encrypted
from prescripcare.backup.history import record_success
from prescripcare.backup.hooks import RestoreHook
from prescripcare.backup.objectstore import ObjectStore
from prescripcare.backup.retention import backup_name, prune
from prescripcare.backup.toc import partition_keys_first
from prescripcare.backup.tools import find_tool
from prescripcare.db import Database

log = logging.getLogger("prescripcare.backup")


@dataclass(frozen=True)
class Libpq:
    """A connection for the client tools: the URL without its password,
    which travels in PGPASSWORD instead of the process list, and the TLS
    mode the app uses, as PGSSLMODE/PGSSLROOTCERT."""

    url: str
    env: dict[str, str]

    @classmethod
    def of(cls, database: Database) -> Libpq:
        url = database.url
        env = dict(os.environ)
        env.pop("PGSSLROOTCERT", None)  # only the one the settings name
        env.update(database.tls.libpq_env())
        if url.password:
            env["PGPASSWORD"] = str(url.password)
        return cls(url.set(password=None).render_as_string(hide_password=False), env)


def _database(target: str | Database) -> Database:
    """A plain URL is taken with the TLS parameters it carries."""
    return target if isinstance(target, Database) else Database.of(target)


async def server_major(database: Database) -> int:
    engine = database.one_off_engine()
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(text("SHOW server_version_num")) or 0) // 10000
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    deleted: list[Path]
    # Where the backup now lives: the object store's s3:// URI, else the path.
    location: str
    deleted_remote: list[str] = field(default_factory=list)
    recorded: bool = True


def _dump(pg_dump: Path, db: Libpq, target: IO[bytes], key: bytes | None) -> None:
    # Custom format, compressed: pg_restore can pick tables and restore in
    # parallel, and the file is a fraction of the data's size.
    args = [str(pg_dump), "--format=custom", "--compress=6", "--no-password", f"--dbname={db.url}"]
    with subprocess.Popen(  # noqa: S603 - a binary we located, no shell
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=db.env
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        if key is None:
            while chunk := proc.stdout.read(1 << 20):
                target.write(chunk)
        else:
            encrypt_stream(key, proc.stdout, target)
        errors = proc.stderr.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"pg_dump failed: {errors.strip()}")


def _write_backup(
    pg_dump: Path, db: Libpq, directory: Path, now: datetime, key: bytes | None
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / backup_name(now, encrypted=key is not None)
    partial = final.with_name(final.name + ".partial")
    # Owner-only from the first byte: the file holds every patient's record.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            _dump(pg_dump, db, handle, key)
            handle.flush()
            os.fsync(handle.fileno())
        partial.rename(final)
    finally:
        partial.unlink(missing_ok=True)
    return final


async def backup(
    database_url: str | Database,
    directory: Path,
    now: datetime,
    *,
    key: bytes | None,
    keep: int,
    keep_days: int,
    store: ObjectStore | None = None,
    keep_local: bool = True,
) -> BackupResult:
    """A new backup, uploaded to `store` when there is one, then retention
    (older ones go only once this one exists where it is kept), then a row
    in the backup history, which the backup-age alert reads."""
    database = _database(database_url)
    pg_dump = find_tool("pg_dump", await server_major(database))
    db = Libpq.of(database)
    final = await asyncio.to_thread(_write_backup, pg_dump, db, directory, now, key)
    size = final.stat().st_size
    location, deleted_remote = str(final), []
    try:
        if store is not None:
            location = store.uri(await asyncio.to_thread(store.upload, final))
            deleted_remote = await asyncio.to_thread(store.prune, keep, keep_days, now)
    finally:
        if not keep_local:
            final.unlink(missing_ok=True)
    deleted = await asyncio.to_thread(prune, directory, keep, keep_days, now)
    recorded = await _record(database, now, location, size)
    return BackupResult(final, size, deleted, location, deleted_remote, recorded)


async def _record(database: Database, taken_at: datetime, location: str, size: int) -> bool:
    engine = database.one_off_engine()
    try:
        async with engine.begin() as conn:
            if await conn.scalar(text("SELECT to_regclass('backup_runs')")) is None:
                log.warning(
                    "no backup_runs table (run `prescripcare migrate`): backup not recorded"
                )
                return False
            await record_success(conn, "dump", taken_at, location, size)
            return True
    finally:
        await engine.dispose()


def _restore(pg_restore: Path, db: Libpq, archive: Path, key: bytes | None) -> None:
    encrypted = is_encrypted(archive)
    if encrypted and key is None:
        raise RuntimeError("the backup is encrypted: set BACKUP_ENCRYPTION_KEY")
    listing = _pg_restore([str(pg_restore), "--list"], db, archive, key)
    with tempfile.NamedTemporaryFile("w", suffix=".toc") as order:
        order.write(partition_keys_first(listing))
        order.flush()
        args = [
            str(pg_restore),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--use-list={order.name}",
            f"--dbname={db.url}",
        ]
        _pg_restore(args, db, archive, key)


def _pg_restore(args: list[str], db: Libpq, archive: Path, key: bytes | None) -> str:
    """Runs pg_restore on the archive (decrypted on the way in when it is
    encrypted); answers what it printed."""
    encrypted = is_encrypted(archive)
    if not encrypted:
        args = [*args, str(archive)]
    stdin = subprocess.PIPE if encrypted else subprocess.DEVNULL
    with (
        tempfile.TemporaryFile() as output,
        subprocess.Popen(  # noqa: S603 - a binary we located, no shell
            args, stdin=stdin, stdout=output, stderr=subprocess.PIPE, env=db.env
        ) as proc,
    ):
        assert proc.stderr is not None
        if encrypted:
            assert proc.stdin is not None and key is not None
            try:
                with archive.open("rb") as source:
                    decrypt_stream(key, source, proc.stdin)
            except BrokenPipeError:
                # pg_restore stopped reading: --list once it has the table of
                # contents; a restore only on an error, which its exit says.
                pass
            except BaseException:
                proc.kill()  # half an archive must not be restored
                raise
            finally:
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.close()
        errors = proc.stderr.read().decode(errors="replace")
        proc.wait()
        output.seek(0)
        printed = output.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"pg_restore failed: {errors.strip()}")
    return printed


async def _has_tables(conn: Any) -> bool:
    found = await conn.scalar(
        text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
    )
    return bool(found)


async def restore(
    target_url: str | Database,
    archive: Path,
    *,
    key: bytes | None,
    hooks: list[RestoreHook],
    ledger_url: str | Database | None = None,
) -> None:
    """Restores `archive` over `target_url`, then runs every hook. What the
    hooks capture comes from `ledger_url` (default: the target itself, as it
    is before the restore)."""
    target_db = _database(target_url)
    pg_restore = find_tool("pg_restore", await server_major(target_db))
    captured: dict[str, Any] = {}
    source = (_database(ledger_url) if ledger_url else target_db).one_off_engine()
    try:
        async with source.connect() as conn:
            live = await _has_tables(conn)
            if hooks and not live:
                log.warning(
                    "restoring into an empty database without --ledger-from: erasures made "
                    "after this backup cannot be re-applied"
                )
            for hook in hooks:
                captured[hook.name] = await hook.capture(conn) if live else None
    finally:
        await source.dispose()
    await asyncio.to_thread(_restore, pg_restore, Libpq.of(target_db), archive, key)
    target = target_db.one_off_engine()
    try:
        async with target.begin() as conn:
            for hook in hooks:
                await hook.apply(conn, captured[hook.name])
                log.info("restore hook %s applied", hook.name)
    finally:
        await target.dispose()
