"""Alembic, driven from code: `prescripcare migrate`, tests and readiness.

The migrations directory ships inside the wheel (as `prescripcare/migrations`)
and sits at the repository root in a checkout, so the command works from any
working directory on either kind of install.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ProgrammingError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# Alembic is imported where it is used: a warm `prescripcare dev` and the
# readiness check need only the two revisions, not Alembic's machinery
# (about a second and a half of imports on a busy machine).


def migrations_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "migrations", here.parents[1] / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("the Alembic migrations directory is missing from this install")


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


@functools.cache
def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


@functools.cache
def head_in_files(versions: Path | None = None) -> str | None:
    """The head read from the revision files' `revision` and
    `down_revision` assignments, without Alembic (its twin: head_revision).
    One linear head is the house rule; anything else raises."""
    revisions: dict[str, tuple[str, ...]] = {}
    for path in sorted((versions or migrations_dir() / "versions").glob("*.py")):
        found: dict[str, object] = {}
        for node in ast.parse(path.read_text()).body:
            target: ast.expr
            if isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                found[target.id] = ast.literal_eval(value)
        if "revision" not in found:
            continue
        down = found.get("down_revision")
        parents = tuple(down) if isinstance(down, (tuple, list)) else (down,) if down else ()
        revisions[str(found["revision"])] = tuple(str(p) for p in parents)
    referenced = {parent for parents in revisions.values() for parent in parents}
    heads = sorted(set(revisions) - referenced)
    if len(heads) > 1:
        raise RuntimeError(f"migrations have {len(heads)} heads: {', '.join(heads)}")
    return heads[0] if heads else None


async def revision_in_database(connection: AsyncConnection) -> str | None:
    """alembic_version read directly (None: never migrated)."""
    try:
        async with connection.begin_nested():
            found = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    except ProgrammingError:  # no alembic_version table yet
        return None
    return str(found) if found is not None else None


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    # env.py runs on this connection instead of opening its own.
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)
