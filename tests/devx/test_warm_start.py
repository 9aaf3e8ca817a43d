"""A warm `prescripcare dev` asks the database for its revision and reads
the head from the revision files, without Alembic: both answer as Alembic
does (the slow twin), and a second head is refused, not guessed."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from prescripcare.db import create_engine
from prescripcare.migrate import head_in_files, head_revision, migrations_dir, revision_in_database
from prescripcare.settings import Settings


def _chain(directory: Path, length: int, rng: random.Random) -> list[str]:
    """A linear history under made-up ids, written in a shuffled file order."""
    ids = [f"{rng.getrandbits(48):012x}" for _ in range(length)]
    order = list(range(length))
    rng.shuffle(order)
    for position in order:
        down = repr(ids[position - 1]) if position else "None"
        typed = "revision: str" if position % 2 else "revision"
        (directory / f"{rng.getrandbits(32):08x}_step.py").write_text(
            f'"""step {position}"""\n{typed} = {ids[position]!r}\n'
            f"down_revision: str | None = {down}\n"
        )
    return ids


def test_the_shipped_head_is_alembics() -> None:
    assert head_in_files() == head_revision()
    assert head_in_files(migrations_dir() / "versions") == head_revision()


@pytest.mark.parametrize("seed", range(5))
def test_a_generated_linear_history_has_its_last_revision_as_head(
    tmp_path: Path, seed: int
) -> None:
    ids = _chain(tmp_path, random.Random(seed).randint(1, 30), random.Random(seed))
    assert head_in_files(tmp_path) == ids[-1]


def test_two_heads_are_refused(tmp_path: Path) -> None:
    ids = _chain(tmp_path, 3, random.Random(1))
    # The planted defect: a second branch off the first revision.
    (tmp_path / "branch.py").write_text(f'revision = "b1"\ndown_revision = {ids[0]!r}\n')
    with pytest.raises(RuntimeError, match="2 heads"):
        head_in_files(tmp_path)


async def test_the_database_revision_is_read_directly(
    migrated: Settings, empty_database: str
) -> None:
    engine = create_engine(migrated)
    async with engine.connect() as connection:
        assert await revision_in_database(connection) == head_revision()
    await engine.dispose()
    fresh = create_engine(migrated.model_copy(update={"database_url": empty_database}))
    async with fresh.connect() as connection:
        assert await revision_in_database(connection) is None
    await fresh.dispose()
