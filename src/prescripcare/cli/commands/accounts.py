"""`create-user` (e.g. the first ADMIN) and `reset-two-factor` (break-glass)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from prescripcare.cli.common import on_settings, run

if TYPE_CHECKING:
    from prescripcare.cli.common import Subparsers
    from prescripcare.settings import Settings


def register(sub: Subparsers) -> None:
    create = sub.add_parser("create-user", help="create an account, e.g. the first ADMIN")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=["ADMIN", "CLINICIAN", "CAREGIVER"])
    secret = create.add_mutually_exclusive_group()
    secret.add_argument("--password")
    secret.add_argument("--password-stdin", action="store_true")
    on_settings(create, _create_user_command)

    reset2fa = sub.add_parser(
        "reset-two-factor", help="remove an account's two-factor (lost phone and codes)"
    )
    reset2fa.add_argument("--email", required=True)
    on_settings(
        reset2fa, lambda settings, args: run(lambda: _reset_two_factor(settings, args.email))
    )


def _create_user_command(settings: Settings, args: argparse.Namespace) -> None:
    password = _read_password(args)
    run(lambda: _create_user(settings, args.email, args.role, password))


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
