"""Backups off the cluster: S3 or any S3-compatible store (boto3).

`prescripcare backup` uploads each finished file under BACKUP_S3_PREFIX and
applies the same retention there as on disk; `prescripcare restore` fetches
`s3://bucket/key`, or `latest`, before restoring. The files are already
encrypted (backup/crypto.py), so the store never holds a readable dump; the
store's own encryption at rest comes on top.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from prescripcare.backup.retention import expired, taken_at
from prescripcare.settings import Settings

SCHEME = "s3://"


class ObjectStoreError(RuntimeError):
    """The store refused, is unreachable, or has no such backup."""


def _client(settings: Settings) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=settings.backup_s3_endpoint_url,
        region_name=settings.backup_s3_region,
        verify=settings.backup_s3_ca_bundle or True,
        # Path-style addressing works on every S3-compatible store (and on AWS).
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 5, "mode": "standard"},
            connect_timeout=10,
            read_timeout=60,
        ),
    )


@contextmanager
def _failing(action: str) -> Iterator[None]:
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (Boto3Error, BotoCoreError, ClientError) as exc:
        raise ObjectStoreError(f"object store: {action} failed: {exc}") from None


@dataclass(frozen=True)
class ObjectStore:
    bucket: str
    prefix: str
    client: Any

    @classmethod
    def from_settings(cls, settings: Settings) -> ObjectStore | None:
        if not settings.backup_s3_bucket:
            return None
        return cls(settings.backup_s3_bucket, settings.backup_s3_prefix, _client(settings))

    def uri(self, key: str) -> str:
        return f"{SCHEME}{self.bucket}/{key}"

    def upload(self, path: Path) -> str:
        """Uploads `path` (multipart when large) and checks the stored size."""
        key = self.prefix + path.name
        with _failing(f"uploading {path.name}"):
            self.client.upload_file(str(path), self.bucket, key)
            stored = self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]
        if stored != path.stat().st_size:
            raise ObjectStoreError(
                f"object store: {key} holds {stored} bytes, the backup {path.stat().st_size}"
            )
        return key

    def backups(self) -> list[tuple[datetime, str]]:
        """This deployment's backups under the prefix, newest first."""
        found = []
        with _failing("listing backups"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"]
                    if "/" in key[len(self.prefix) :]:
                        continue  # a deeper "folder" is not ours
                    at = taken_at(Path(key))
                    if at is not None:
                        found.append((at, key))
        return sorted(found, reverse=True)

    def prune(self, keep: int, keep_days: int, now: datetime) -> list[str]:
        deleted = expired(self.backups(), keep, keep_days, now)
        with _failing("deleting expired backups"):
            for key in deleted:
                self.client.delete_object(Bucket=self.bucket, Key=key)
        return deleted

    def key_of(self, location: str) -> str:
        """`latest`, or an `s3://bucket/key` in this bucket."""
        if location == "latest":
            newest = self.backups()
            if not newest:
                raise ObjectStoreError(f"object store: no backup under {self.uri(self.prefix)}")
            return newest[0][1]
        parts = urlsplit(location)
        if parts.netloc != self.bucket:
            raise ObjectStoreError(
                f"object store: {location} is not in BACKUP_S3_BUCKET ({self.bucket})"
            )
        return parts.path.lstrip("/")

    def download(self, key: str, directory: Path) -> Path:
        """Fetches a backup into `directory` (owner-only), under its own name."""
        target = directory / Path(key).name
        if taken_at(target) is None:
            raise ObjectStoreError(f"object store: {key} is not a PrescripCare backup name")
        partial = target.with_name(target.name + ".partial")
        partial.touch(mode=0o600)
        try:
            with _failing(f"downloading {key}"):
                self.client.download_file(self.bucket, key, str(partial))
            partial.rename(target)
        finally:
            partial.unlink(missing_ok=True)
        return target
