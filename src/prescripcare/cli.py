"""The `prescripcare` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import signal
import ssl
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from prescripcare.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from prescripcare.resources import Resources

T = TypeVar("T")


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise SystemExit(f"prescripcare: {exc}") from None


def _tls_failure(exc: ssl.SSLError) -> SystemExit:
    # A refused certificate is the operator's setting, not a crash.
    return SystemExit(
        f"prescripcare: TLS to PostgreSQL failed: {exc}; check DATABASE_SSL and "
        "DATABASE_SSL_ROOT_CERT (or sslmode/sslrootcert in the URL)"
    )


def _run(work: Callable[[], Awaitable[T]]) -> T:
    try:
        return asyncio.run(work())  # type: ignore[arg-type]
    except ssl.SSLError as exc:
        raise _tls_failure(exc) from None


async def _migrate(settings: Settings) -> None:
    from prescripcare.db import create_engine
    from prescripcare.migrate import upgrade

    engine = create_engine(settings)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _seed(settings: Settings, demo: bool) -> None:
    from prescripcare.db import transaction
    from prescripcare.demo import seed_demo
    from prescripcare.drugs.seed import load_seed
    from prescripcare.resources import open_resources

    if demo and settings.is_production:
        raise SystemExit("prescripcare: refusing to load demo accounts in production")
    async with open_resources(settings) as res:
        async with transaction(res.sessions) as session:
            report = await load_seed(session, res.clock.now())
        print(
            f"reference data: {report.concepts} drug concepts, {report.interactions} "
            f"interaction rules ({len(report.skipped)} source rows left out; "
            "LOG_LEVEL=DEBUG lists them)"
        )
        created = await seed_demo(res) if demo else None
        # Last, after every commit: an unreachable search server leaves the
        # database complete, and searches fall back to PostgreSQL.
        await _sync_search(res, tolerate=True)
    if created:
        print("demo accounts created (shown once):")
        _print_logins()
    elif demo:
        print("demo data already present")


async def _sync_search(res: Resources, *, tolerate: bool = False) -> None:
    """Rewrites the search index from the catalog. With `tolerate`, a failure
    is reported, not raised: the database is already committed."""
    try:
        async with res.sessions() as session:
            terms = await res.drug_search.sync(session)
    except Exception as exc:
        if not tolerate:
            raise
        print(
            f"prescripcare: warning: drug search index not updated ({res.drug_search.name}: "
            f"{type(exc).__name__}: {exc}); searches fall back to PostgreSQL while it is "
            "unreachable: run `prescripcare sync-search` once it is back",
            file=sys.stderr,
        )
        return
    print(f"drug search ({res.drug_search.name}): {terms} terms indexed")


async def _sync_search_command(settings: Settings) -> None:
    from prescripcare.resources import open_resources

    async with open_resources(settings) as res:
        await _sync_search(res)


async def _import_rxnorm(
    settings: Settings, directory: Path, release: str | None, force: bool
) -> None:
    from prescripcare.db import transaction
    from prescripcare.drugs.rrf import ImportRejected, import_rxnorm
    from prescripcare.resources import open_resources

    async with open_resources(settings) as res:
        try:
            async with transaction(res.sessions) as session:
                result = await import_rxnorm(
                    session,
                    directory,
                    res.clock.now(),
                    release=release,
                    force=force,
                    progress=sys.stderr.isatty(),
                )
        except ImportRejected as exc:
            _reject(exc.problems)
        if result.skipped_as_imported:
            print(f"RxNorm release {result.release} is already imported (use --force to redo)")
            return
        print(f"RxNorm release {result.release}: read {result.read}, wrote {result.written}")
        await _sync_search(res, tolerate=True)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"prescripcare: cannot read {path}: {exc}") from None


async def _import_interactions(settings: Settings, content: str, licence: str) -> None:
    from prescripcare.db import transaction
    from prescripcare.drugs.interaction_csv import CsvRejected, import_interactions
    from prescripcare.resources import open_resources

    async with open_resources(settings) as res:
        try:
            async with transaction(res.sessions) as session:
                result = await import_interactions(
                    session, content, res.clock.now(), default_licence=licence
                )
        except CsvRejected as exc:
            _reject(exc.problems)
    for note in result.notes:
        print(f"note: {note}")
    print(f"{result.rows} rows read, {result.written} interaction rules written")


def _reject(problems: list[str]) -> NoReturn:
    print("prescripcare: the file was rejected and nothing was imported:", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    raise SystemExit(2)


def _print_logins() -> None:
    from prescripcare.demo import LOGINS

    for login in LOGINS:
        print(f"  {login.role.value:<9}  {login.email:<42}  {login.password}")


async def _create_user(settings: Settings, email: str, role: str, password: str) -> None:
    from prescripcare.auth.models import Role
    from prescripcare.db import transaction
    from prescripcare.errors import UserFacingError
    from prescripcare.resources import open_resources

    async with open_resources(settings) as res:
        try:
            async with transaction(res.sessions) as session:
                user = await res.auth.create_user(
                    session, None, email, password, Role(role), None, res.clock.now()
                )
        except UserFacingError as exc:
            for p in exc.problems:
                print(f"prescripcare: {p.code.value}: {p.message}", file=sys.stderr)
            raise SystemExit(2) from None
    print(f"created {user.role} {user.email} ({user.id})")


def _read_password(args: argparse.Namespace) -> str:
    if args.password is not None:
        return str(args.password)
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise SystemExit("prescripcare: passwords do not match")
        return first
    raise SystemExit("prescripcare: give --password or --password-stdin")


def _uvicorn_config(settings: Settings, host: str, port: int, log_level: str = "info") -> Any:
    import uvicorn

    from prescripcare.app import create_app

    return uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        # X-Forwarded-For/-Proto only from FORWARDED_ALLOW_IPS (validated
        # networks), so behind a proxy each client has its own rate-limit
        # buckets and audit address, and nobody else can choose theirs.
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
        log_level=log_level,
        # The C event loop and HTTP parser (uvicorn[standard]); named so that a
        # missing one fails at start instead of silently serving slower.
        loop="uvloop",
        http="httptools",
        # Our JSON handler on the root logger, and our access log (route
        # templates, no query strings) instead of uvicorn's.
        log_config=None,
        access_log=False,
        ws="websockets-sansio",
        timeout_graceful_shutdown=20,
    )


def _tune_gc() -> None:
    """A request allocates tens of thousands of short-lived objects (rows, ORM
    instances, GraphQL results): at CPython's default threshold the cyclic
    collector runs many times per request. Freezing what start-up built and
    collecting less often saved about a tenth of the CPU per request in
    bench/load.py (docs/benchmarks.md)."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from prescripcare.observability.endpoint import serve_metrics_port

    serve_metrics_port(settings)
    # SIGTERM is how an orchestrator stops a replica. uvicorn stops accepting,
    # lets requests in flight finish (up to timeout_graceful_shutdown), closes
    # WebSockets with 1012, then re-raises the signal to the handler it found:
    # this one, so a clean drain exits 0 rather than "killed by SIGTERM".
    signal.signal(signal.SIGTERM, lambda *_: None)
    config = _uvicorn_config(settings, host, port)
    _tune_gc()
    uvicorn.Server(config).run()


async def _serve_with_worker(
    settings: Settings, host: str, port: int, when_up: Awaitable[None]
) -> None:
    """Development: the API and the worker in one process; Ctrl-C stops both."""
    import uvicorn

    from prescripcare.worker import build_worker

    # Its start-up lines are replaced by ours (prescripcare.devstart).
    server = uvicorn.Server(_uvicorn_config(settings, host, port, log_level="warning"))
    worker = build_worker(settings, handle_signals=False)
    running = asyncio.create_task(worker.async_run())
    watching = asyncio.ensure_future(when_up)
    try:
        await server.serve()
    finally:
        watching.cancel()
        running.cancel()
        await asyncio.gather(running, watching, return_exceptions=True)
        await worker.close()


def _work(settings: Settings) -> None:
    from prescripcare.worker import build_worker

    build_worker(settings).run()


def _dev(args: argparse.Namespace) -> None:
    from prescripcare import devstart
    from prescripcare.embedded import EmbeddedServices

    steps = devstart.Steps()
    devstart.quiet_for_dev()
    data_dir = Path(args.data_dir).resolve()
    with EmbeddedServices(
        data_dir,
        database_url=os.environ.get("DATABASE_URL"),
        redis_url=os.environ.get("REDIS_URL"),
    ) as services:
        steps.done("servers", services.describe())
        settings = _settings(
            database_url=services.database_url,
            redis_url=services.redis_url,
            prescripcare_env="development",
        )
        _run(lambda: devstart.prepare(settings, steps))
        port = args.port or settings.port
        devstart.banner(args.host, port, data_dir)
        url = f"http://{args.host}:{port}/graphql"
        try:
            asyncio.run(
                _serve_with_worker(
                    settings, args.host, port, devstart.report_when_answering(url, steps)
                )
            )
        except KeyboardInterrupt:
            # uvicorn re-raises Ctrl-C once it has shut down cleanly.
            print("stopped", flush=True)


async def _rotate_key(settings: Settings, batch_size: int) -> None:
    from prescripcare.db import create_engine
    from prescripcare.encryption.keys import keyring_from_settings
    from prescripcare.encryption.rotate import RotationRefused, rotate

    keyring = keyring_from_settings(settings)
    engine = create_engine(settings)
    try:
        report = await rotate(engine, keyring, batch_size=batch_size)
    except RotationRefused as exc:
        raise SystemExit(f"prescripcare: rotate-key refused, nothing changed: {exc}") from None
    finally:
        await engine.dispose()
    for where, count in report.rotated.items():
        print(f"{where}: {count} re-encrypted")
    print(f"{report.total} values re-encrypted; all now under key {keyring.current.id.hex()}")


def _blind_index_key(settings: Settings) -> None:
    from prescripcare.encryption.keyformat import encode_key
    from prescripcare.encryption.keys import keyring_from_settings

    keyring = keyring_from_settings(settings)
    origin = (
        "BLIND_INDEX_KEY" if keyring.blind_index_key_explicit else "derived from ENCRYPTION_KEY"
    )
    print(f"# blind-index key in use ({origin}); keep it as BLIND_INDEX_KEY", file=sys.stderr)
    print(encode_key(keyring.blind_index_key))


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
            raise _tls_failure(exc) from None
        except (RuntimeError, OSError) as exc:  # no pg_dump, its error, the store, a full disk
            raise SystemExit(f"prescripcare: backup failed: {exc}") from None
    print(f"backup written: {result.location} ({result.size} bytes)")
    for old in [*result.deleted, *result.deleted_remote]:
        print(f"retention: deleted {old}")


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
            raise _tls_failure(exc) from None
        except (RuntimeError, ValueError, OSError) as exc:  # no tool, wrong key, pg_restore's error
            raise SystemExit(f"prescripcare: restore failed: {exc}") from None
    print(f"restored {archive.name}")


def _export_schema(output: str | None) -> None:
    from prescripcare.graphql.schema import export_sdl

    sdl = export_sdl()
    if output:
        Path(output).write_text(sdl)
    else:
        sys.stdout.write(sdl)


def _build_trusted_documents(sources: list[Path], output: str | None) -> None:
    from graphql import GraphQLError

    from prescripcare.graphql.trusted import split_documents, write_manifest

    documents: dict[str, str] = {}
    for source in sources:
        try:
            documents.update(split_documents(_read_text(source)))
        except GraphQLError as exc:
            raise SystemExit(f"prescripcare: {source}: {exc.message}") from None
    manifest = write_manifest(documents)
    if output:
        Path(output).write_bytes(manifest)
        print(f"{len(documents)} trusted documents written to {output}", file=sys.stderr)
    else:
        sys.stdout.write(manifest.decode())


async def _reset_two_factor(settings: Settings, email: str) -> None:
    """Break-glass for an admin who lost both phone and recovery codes (no
    other admin can reset their own)."""
    from sqlalchemy import select
    from sqlmodel import col

    from prescripcare.auth.models import User
    from prescripcare.db import transaction
    from prescripcare.resources import open_resources

    async with open_resources(settings) as res, transaction(res.sessions) as session:
        found = await session.execute(
            select(User).where(col(User.email_blind_index) == email.strip().lower())
        )
        user = found.scalar_one_or_none()
        if user is None:
            raise SystemExit(f"prescripcare: no account with e-mail {email}")
        await res.auth.two_factor.reset_for(session, None, user.id, res.clock.now())
    print(f"two-factor authentication removed for {user.email}; their logins were ended")


async def _audit_verify(settings: Settings) -> None:
    from prescripcare.audit.chain import verify_chain
    from prescripcare.resources import open_resources

    async with open_resources(settings) as res, res.sessions() as session:
        verdict = await verify_chain(session)
    if not verdict.ok:
        print(
            f"prescripcare: audit log BROKEN at entry {verdict.broken_at}: {verdict.problem} "
            f"({verdict.checked} entries before it are intact)",
            file=sys.stderr,
        )
        raise SystemExit(1)
    print(f"audit log intact: {verdict.checked} entries, hash chain verified")


def _graphiql_assets(output: str | None, registry: str | None) -> None:
    from prescripcare.graphiql_assets import AssetFetchError, fetch_assets

    directory = Path(output) if output else _settings().graphiql_assets_dir
    try:
        written = fetch_assets(directory, registry)
    except AssetFetchError as exc:
        raise SystemExit(f"prescripcare: {exc} (GraphiQL falls back to the CDN)") from None
    for path in written:
        print(f"fetched {path}")
    print(f"GraphiQL assets {'ready' if written else 'already present'} in {directory}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prescripcare", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API under uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, help="overrides PORT")

    sub.add_parser("migrate", help="upgrade the database to the newest schema")

    sub.add_parser("worker", help="run the arq worker: dose horizons, missed doses")

    create = sub.add_parser("create-user", help="create an account, e.g. the first ADMIN")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=["ADMIN", "CLINICIAN", "CAREGIVER"])
    secret = create.add_mutually_exclusive_group()
    secret.add_argument("--password")
    secret.add_argument("--password-stdin", action="store_true")

    reset2fa = sub.add_parser(
        "reset-two-factor", help="remove an account's two-factor (lost phone and codes)"
    )
    reset2fa.add_argument("--email", required=True)

    sub.add_parser(
        "sync-search", help="rewrite the drug search index (Meilisearch) from the catalog"
    )
    seed = sub.add_parser("seed", help="load shipped reference data")
    seed.add_argument("--demo", action="store_true", help="also demo accounts and patients")

    export = sub.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", help="write to this file instead")

    rxnorm = sub.add_parser("import-rxnorm", help="import an RxNorm release (RRF files)")
    rxnorm.add_argument("directory", type=Path)
    rxnorm.add_argument("--release", help="release name (default: from the Readme file name)")
    rxnorm.add_argument("--force", action="store_true", help="re-import a known release")

    ddi = sub.add_parser("import-interactions", help="import interaction rules from a CSV file")
    ddi.add_argument("file", type=Path)
    ddi.add_argument(
        "--licence",
        default="licensed to this institution",
        help="licence recorded for rows without a licence column",
    )

    trusted = sub.add_parser("trusted-documents", help="manifests of trusted GraphQL documents")
    trusted_sub = trusted.add_subparsers(dest="trusted_command", required=True)
    build = trusted_sub.add_parser(
        "build", help="hash each operation of .graphql files into a manifest {sha256: document}"
    )
    build.add_argument("sources", nargs="+", type=Path, metavar="operations.graphql")
    build.add_argument("--output", help="write to this file instead of stdout")

    rotate = sub.add_parser(
        "rotate-key", help="re-encrypt every encrypted value under ENCRYPTION_KEY"
    )
    rotate.add_argument("--batch-size", type=int, default=500, help="values per transaction")

    sub.add_parser("blind-index-key", help="print the blind-index key in use, to pin it")

    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="check the hash chain; exit 1 at the first broken entry")

    assets = sub.add_parser(
        "graphiql-assets", help="download GraphiQL's scripts and styles for offline use"
    )
    assets.add_argument("--output", help="directory (default: GRAPHIQL_ASSETS_DIR)")
    assets.add_argument("--registry", help="npm registry (default: NPM_CONFIG_REGISTRY or npmjs)")

    dump = sub.add_parser("backup", help="pg_dump to a (encrypted) file, then apply retention")
    dump.add_argument(
        "--dir", help="directory keeping the backups (optional with BACKUP_S3_BUCKET)"
    )
    dump.add_argument("--keep", type=int, default=7, help="always keep this many newest")
    dump.add_argument("--keep-days", type=int, default=30, help="and all younger than this")
    dump.add_argument("--no-encryption", action="store_true", help="allow plain in production")

    back = sub.add_parser("restore", help="restore a backup, then re-apply erasures")
    back.add_argument(
        "file", help="a backup file, s3://BUCKET/KEY, or `latest` in BACKUP_S3_BUCKET"
    )
    back.add_argument("--database-url", help="restore here instead of DATABASE_URL")
    back.add_argument("--ledger-from", help="read erasures from this database (default: target)")
    back.add_argument("--yes", action="store_true", help="confirm replacing the target's data")

    dev = sub.add_parser("dev", help="embedded PostgreSQL and Redis, demo data, GraphiQL")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int)
    dev.add_argument("--data-dir", default=".prescripcare")
    return parser


def main(argv: list[str] | None = None) -> None:
    from prescripcare.observability.logs import configure_logging

    args = build_parser().parse_args(argv)
    # Development commands log text for a person; the rest log what
    # LOG_FORMAT says (JSON by default) once the settings are read.
    configure_logging("INFO", "text")
    if args.command == "export-schema":
        _export_schema(args.output)
    elif args.command == "trusted-documents":
        _build_trusted_documents(args.sources, args.output)
    elif args.command == "dev":
        _dev(args)
    elif args.command == "graphiql-assets":
        _graphiql_assets(args.output, args.registry)
    else:
        settings = _settings()
        configure_logging(settings.log_level, settings.log_format)
        if args.command not in ("serve", "worker"):
            # DATABASE_STATEMENT_TIMEOUT_MS guards the request path; a
            # migration or an import runs long statements by design.
            settings = settings.model_copy(update={"database_statement_timeout_ms": 0})
        if args.command == "serve":
            _serve(settings, args.host, args.port or settings.port)
        elif args.command == "worker":
            _work(settings)
        elif args.command == "migrate":
            _run(lambda: _migrate(settings))
            print("database is at the newest schema")
        elif args.command == "seed":
            _run(lambda: _seed(settings, args.demo))
        elif args.command == "sync-search":
            _run(lambda: _sync_search_command(settings))
        elif args.command == "import-rxnorm":
            if not args.directory.is_dir():
                raise SystemExit(f"prescripcare: {args.directory} is not a directory")
            _run(lambda: _import_rxnorm(settings, args.directory, args.release, args.force))
        elif args.command == "import-interactions":
            content = _read_text(args.file)
            _run(lambda: _import_interactions(settings, content, args.licence))
        elif args.command == "rotate-key":
            if args.batch_size < 1:
                raise SystemExit("prescripcare: --batch-size must be at least 1")
            _run(lambda: _rotate_key(settings, args.batch_size))
        elif args.command == "blind-index-key":
            _blind_index_key(settings)
        elif args.command == "audit" and args.audit_command == "verify":
            _run(lambda: _audit_verify(settings))

        elif args.command == "backup":
            _run(lambda: _backup(settings, args))
        elif args.command == "restore":
            remote = args.file == "latest" or args.file.startswith("s3://")
            if not remote and not Path(args.file).is_file():
                raise SystemExit(f"prescripcare: {args.file} is not a file")
            _run(lambda: _restore(settings, args))
        elif args.command == "create-user":
            password = _read_password(args)
            _run(lambda: _create_user(settings, args.email, args.role, password))
        elif args.command == "reset-two-factor":
            _run(lambda: _reset_two_factor(settings, args.email))


if __name__ == "__main__":
    main()
