"""`backup` (pg_dump to an encrypted file, then retention) and `restore`
(then re-apply erasures)."""

from __future__ import annotations

import argparse
import asyncio
import ssl
from pathlib import Path
from typing import TYPE_CHECKING

from prescripcare.cli.common import on_settings, run, tls_failure

if TYPE_CHECKING:
    from prescripcare.cli.common import Subparsers
    from prescripcare.settings import Settings


def register(sub: Subparsers) -> None:
    dump = sub.add_parser("backup", help="pg_dump to a (encrypted) file, then apply retention")
    dump.add_argument(
        "--dir", help="directory keeping the backups (optional with BACKUP_S3_BUCKET)"
    )
    dump.add_argument("--keep", type=int, default=7, help="always keep this many newest")
    dump.add_argument("--keep-days", type=int, default=30, help="and all younger than this")
    dump.add_argument("--no-encryption", action="store_true", help="allow plain in production")
    on_settings(dump, lambda settings, args: run(lambda: _backup(settings, args)))

    back = sub.add_parser("restore", help="restore a backup, then re-apply erasures")
    back.add_argument(
        "file", help="a backup file, s3://BUCKET/KEY, or `latest` in BACKUP_S3_BUCKET"
    )
    back.add_argument("--database-url", help="restore here instead of DATABASE_URL")
    back.add_argument("--ledger-from", help="read erasures from this database (default: target)")
    back.add_argument("--yes", action="store_true", help="confirm replacing the target's data")
    on_settings(back, _restore_command)


async def _backup(settings: Settings, args: argparse.Namespace) -> None:
    import tempfile
    from datetime import UTC, datetime

    from prescripcare.backup.crypto import key_from_setting
    from prescripcare.backup.dump import backup
    from prescripcare.backup.objectstore import ObjectStore
    from prescripcare.db import Database

    key = settings.backup_encryption_key
    if key is None and settings.is_production and not args.no_encryption:
        raise SystemExit(
            "prescripcare: BACKUP_ENCRYPTION_KEY is not set; a production backup holds every "
            "patient's record (pass --no-encryption if the storage itself is encrypted)"
        )
    store = ObjectStore.from_settings(settings)
    if store is None and args.dir is None:
        raise SystemExit("prescripcare: backup needs --dir, BACKUP_S3_BUCKET, or both")
    with tempfile.TemporaryDirectory(prefix="prescripcare-backup-") as staging:
        try:
            result = await backup(
                Database.of(settings.require_database_url(), settings),
                Path(args.dir or staging),
                datetime.now(UTC),
                key=key_from_setting(key.get_secret_value()) if key else None,
                keep=args.keep,
                keep_days=args.keep_days,
                store=store,
                keep_local=args.dir is not None,
            )
        except ssl.SSLError as exc:
            raise tls_failure(exc) from None
        except (RuntimeError, OSError) as exc:  # no pg_dump, its error, the store, a full disk
            raise SystemExit(f"prescripcare: backup failed: {exc}") from None
    print(f"backup written: {result.location} ({result.size} bytes)")
    for old in [*result.deleted, *result.deleted_remote]:
        print(f"retention: deleted {old}")


def _restore_command(settings: Settings, args: argparse.Namespace) -> None:
    remote = args.file == "latest" or args.file.startswith("s3://")
    if not remote and not Path(args.file).is_file():
        raise SystemExit(f"prescripcare: {args.file} is not a file")
    run(lambda: _restore(settings, args))


async def _restore(settings: Settings, args: argparse.Namespace) -> None:
    import tempfile

    from prescripcare.backup.crypto import key_from_setting
    from prescripcare.backup.dump import restore
    from prescripcare.backup.hooks import restore_hooks
    from prescripcare.backup.objectstore import SCHEME, ObjectStore
    from prescripcare.db import Database

    if not args.yes:
        raise SystemExit(
            "prescripcare: restore replaces every table of the target database; stop the API "
            "and workers, then run again with --yes"
        )
    key = settings.backup_encryption_key
    remote = args.file == "latest" or args.file.startswith(SCHEME)
    store = ObjectStore.from_settings(settings) if remote else None
    if remote and store is None:
        raise SystemExit(f"prescripcare: restoring {args.file} needs BACKUP_S3_BUCKET")
    with tempfile.TemporaryDirectory(prefix="prescripcare-restore-") as staging:
        try:
            archive = Path(args.file)
            if store is not None:
                object_key = store.key_of(args.file)
                print(f"fetching {store.uri(object_key)}")
                archive = await asyncio.to_thread(store.download, object_key, Path(staging))
            await restore(
                Database.of(args.database_url or settings.require_database_url(), settings),
                archive,
                key=key_from_setting(key.get_secret_value()) if key else None,
                hooks=restore_hooks(),
                ledger_url=Database.of(args.ledger_from, settings) if args.ledger_from else None,
            )
        except ssl.SSLError as exc:
            raise tls_failure(exc) from None
        except (RuntimeError, ValueError, OSError) as exc:  # no tool, wrong key, pg_restore's error
            raise SystemExit(f"prescripcare: restore failed: {exc}") from None
    print(f"restored {archive.name}")
