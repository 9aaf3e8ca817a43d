"""Reference data: `seed` (shipped drugs, optionally the demo clinic),
`sync-search`, `import-rxnorm` and `import-interactions`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from prescripcare.cli.common import on_settings, read_text, reject, run

if TYPE_CHECKING:
    from prescripcare.cli.common import Subparsers
    from prescripcare.resources import Resources
    from prescripcare.settings import Settings


def register(sub: Subparsers) -> None:
    sync = sub.add_parser(
        "sync-search", help="rewrite the drug search index (Meilisearch) from the catalog"
    )
    on_settings(sync, lambda settings, args: run(lambda: _sync_search_command(settings)))

    seed = sub.add_parser("seed", help="load shipped reference data")
    seed.add_argument("--demo", action="store_true", help="also demo accounts and patients")
    on_settings(seed, lambda settings, args: run(lambda: _seed(settings, args.demo)))

    rxnorm = sub.add_parser("import-rxnorm", help="import an RxNorm release (RRF files)")
    rxnorm.add_argument("directory", type=Path)
    rxnorm.add_argument("--release", help="release name (default: from the Readme file name)")
    rxnorm.add_argument("--force", action="store_true", help="re-import a known release")
    on_settings(rxnorm, _import_rxnorm_command)

    ddi = sub.add_parser("import-interactions", help="import interaction rules from a CSV file")
    ddi.add_argument("file", type=Path)
    ddi.add_argument(
        "--licence",
        default="licensed to this institution",
        help="licence recorded for rows without a licence column",
    )
    on_settings(ddi, _import_interactions_command)


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


def _print_logins() -> None:
    from prescripcare.demo import LOGINS

    for login in LOGINS:
        print(f"  {login.role.value:<9}  {login.email:<42}  {login.password}")


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


def _import_rxnorm_command(settings: Settings, args: argparse.Namespace) -> None:
    if not args.directory.is_dir():
        raise SystemExit(f"prescripcare: {args.directory} is not a directory")
    run(lambda: _import_rxnorm(settings, args.directory, args.release, args.force))


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
            reject(exc.problems)
        if result.skipped_as_imported:
            print(f"RxNorm release {result.release} is already imported (use --force to redo)")
            return
        print(f"RxNorm release {result.release}: read {result.read}, wrote {result.written}")
        await _sync_search(res, tolerate=True)


def _import_interactions_command(settings: Settings, args: argparse.Namespace) -> None:
    content = read_text(args.file)
    run(lambda: _import_interactions(settings, content, args.licence))


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
            reject(exc.problems)
    for note in result.notes:
        print(f"note: {note}")
    print(f"{result.rows} rows read, {result.written} interaction rules written")
