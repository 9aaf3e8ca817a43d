"""`prescripcare backup` and `prescripcare restore`."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from prescripcare.backup.crypto import decrypt_stream, encrypt_stream, is_encrypted
from prescripcare.backup.hooks import RestoreHook
from prescripcare.backup.retention import backup_name, prune
from prescripcare.backup.tools import find_tool
from prescripcare.db import async_url

log = logging.getLogger("prescripcare.backup")


@dataclass(frozen=True)
class Libpq:
    """A connection for the client tools: the URL without its password,
    which travels in PGPASSWORD instead of the process list."""

    url: str
    env: dict[str, str]

    @classmethod
    def of(cls, database_url: str) -> Libpq:
        url = make_url(database_url).set(drivername="postgresql")
        env = dict(os.environ)
        if url.password:
            env["PGPASSWORD"] = str(url.password)
        return cls(url.set(password=None).render_as_string(hide_password=False), env)


async def server_major(database_url: str) -> int:
    engine = create_async_engine(async_url(database_url), poolclass=NullPool)
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
    database_url: str,
    directory: Path,
    now: datetime,
    *,
    key: bytes | None,
    keep: int,
    keep_days: int,
) -> BackupResult:
    """A new backup, then retention: older ones go only once this one exists."""
    pg_dump = find_tool("pg_dump", await server_major(database_url))
    db = Libpq.of(database_url)
    final = await asyncio.to_thread(_write_backup, pg_dump, db, directory, now, key)
    deleted = await asyncio.to_thread(prune, directory, keep, keep_days, now)
    return BackupResult(final, final.stat().st_size, deleted)


def _restore(pg_restore: Path, db: Libpq, archive: Path, key: bytes | None) -> None:
    args = [
        str(pg_restore),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        "--no-password",
        f"--dbname={db.url}",
    ]
    encrypted = is_encrypted(archive)
    if encrypted and key is None:
        raise RuntimeError("the backup is encrypted: set BACKUP_ENCRYPTION_KEY")
    if not encrypted:
        args.append(str(archive))
    stdin = subprocess.PIPE if encrypted else subprocess.DEVNULL
    with subprocess.Popen(  # noqa: S603 - a binary we located, no shell
        args, stdin=stdin, stderr=subprocess.PIPE, env=db.env
    ) as proc:
        assert proc.stderr is not None
        if encrypted:
            assert proc.stdin is not None and key is not None
            try:
                with archive.open("rb") as source:
                    decrypt_stream(key, source, proc.stdin)
            except BaseException:
                proc.kill()  # half an archive must not be restored
                raise
            finally:
                proc.stdin.close()
        errors = proc.stderr.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"pg_restore failed: {errors.strip()}")


async def _has_tables(conn: Any) -> bool:
    found = await conn.scalar(
        text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
    )
    return bool(found)


async def restore(
    target_url: str,
    archive: Path,
    *,
    key: bytes | None,
    hooks: list[RestoreHook],
    ledger_url: str | None = None,
) -> None:
    """Restores `archive` over `target_url`, then runs every hook. What the
    hooks capture comes from `ledger_url` (default: the target itself, as it
    is before the restore)."""
    pg_restore = find_tool("pg_restore", await server_major(target_url))
    captured: dict[str, Any] = {}
    source = create_async_engine(async_url(ledger_url or target_url), poolclass=NullPool)
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
    await asyncio.to_thread(_restore, pg_restore, Libpq.of(target_url), archive, key)
    target = create_async_engine(async_url(target_url), poolclass=NullPool)
    try:
        async with target.begin() as conn:
            for hook in hooks:
                await hook.apply(conn, captured[hook.name])
                log.info("restore hook %s applied", hook.name)
    finally:
        await target.dispose()
