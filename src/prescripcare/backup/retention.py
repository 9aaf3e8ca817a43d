"""Which backups to keep: the newest `keep`, and every one younger than
`keep_days`. A backup is deleted only when it is outside both, so a stalled
backup job never leaves fewer than `keep` behind."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

PREFIX = "prescripcare-"
_NAME = re.compile(r"^prescripcare-(\d{8}T\d{6}Z)\.dump(\.enc)?$")


def backup_name(at: datetime, encrypted: bool) -> str:
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{PREFIX}{stamp}.dump{'.enc' if encrypted else ''}"


def taken_at(path: Path) -> datetime | None:
    match = _NAME.match(path.name)
    if match is None:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def backups_in(directory: Path) -> list[tuple[datetime, Path]]:
    """This deployment's backups in `directory`, newest first; other files are left alone."""
    found = [(at, p) for p in directory.iterdir() if (at := taken_at(p)) is not None]
    return sorted(found, reverse=True)


def expired(
    newest_first: list[tuple[datetime, T]], keep: int, keep_days: int, now: datetime
) -> list[T]:
    """The backups outside both the newest `keep` and the last `keep_days`;
    the one rule for a directory and for the object store."""
    cutoff = now - timedelta(days=keep_days)
    return [
        item for position, (at, item) in enumerate(newest_first) if position >= keep and at < cutoff
    ]


def prune(directory: Path, keep: int, keep_days: int, now: datetime) -> list[Path]:
    deleted = expired(backups_in(directory), keep, keep_days, now)
    for path in deleted:
        path.unlink()
    return deleted
