"""`audit verify`: check the audit log's hash chain."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from prescripcare.cli.common import on_settings, run

if TYPE_CHECKING:
    from prescripcare.cli.common import Subparsers
    from prescripcare.settings import Settings


def register(sub: Subparsers) -> None:
    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser(
        "verify", help="check the hash chain; exit 1 at the first broken entry"
    )
    on_settings(verify, lambda settings, args: run(lambda: _audit_verify(settings)))


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
