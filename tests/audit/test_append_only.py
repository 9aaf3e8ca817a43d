"""The log refuses UPDATE, DELETE and TRUNCATE in PostgreSQL itself, even from
a superuser and with replication-role tricks; `prescripcare audit verify`
finds an entry changed or removed while the triggers were off."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from prescripcare.audit.chain import verify_chain
from prescripcare.auth.models import Role
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.audit.helpers import PATIENT, log_rows
from tests.conftest import GraphQLClient, _asyncpg_dsn
from tests.factories import account, patient
from tests.processes import run


@pytest.fixture
async def superuser(migrated: Settings) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(_asyncpg_dsn(migrated.database_url or ""))
    assert await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    try:
        yield conn
    finally:
        await conn.close()


async def _some_entries(gql: GraphQLClient, resources: Resources) -> None:
    doctor = await account(resources, Role.CLINICIAN)
    for name in ("One", "Two", "Three"):
        pid = await patient(resources, doctor, name)
        await gql.data(PATIENT, {"id": str(pid)}, token=doctor.token)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'NOTHING_HAPPENED' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
        "DELETE FROM audit_log WHERE false",
        "TRUNCATE audit_log",
        "UPDATE audit_chain_head SET seq = 0",
        "TRUNCATE audit_chain_head",
    ],
)
async def test_changing_the_log_is_refused_even_for_a_superuser(
    gql: GraphQLClient,
    resources: Resources,
    superuser: asyncpg.Connection,
    statement: str,
) -> None:
    await _some_entries(gql, resources)
    before = await log_rows(resources)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await superuser.execute(statement)
    # Replication mode skips ordinary triggers, not these (ENABLE ALWAYS).
    async with superuser.transaction():
        await superuser.execute("SET LOCAL session_replication_role = replica")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await superuser.execute(statement)
    assert await log_rows(resources) == before


async def test_verify_finds_an_entry_altered_with_the_trigger_disabled(
    gql: GraphQLClient,
    resources: Resources,
    superuser: asyncpg.Connection,
    migrated: Settings,
    tmp_path: Path,
) -> None:
    await _some_entries(gql, resources)
    count = len(await log_rows(resources))
    intact = run(["audit", "verify"], migrated, tmp_path)
    assert intact.returncode == 0, intact.stderr
    assert f"intact: {count} entries" in intact.stdout
    async with superuser.transaction():
        await superuser.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        await superuser.execute("UPDATE audit_log SET actor_id = gen_random_uuid() WHERE seq = 4")
        await superuser.execute("ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_append_only")
    broken = run(["audit", "verify"], migrated, tmp_path)
    assert broken.returncode == 1
    assert "BROKEN at entry 4: entry 4 was altered" in broken.stderr


async def test_verify_finds_a_deleted_entry_and_a_cut_off_tail(
    gql: GraphQLClient,
    resources: Resources,
    superuser: asyncpg.Connection,
    migrated: Settings,
    tmp_path: Path,
) -> None:
    await _some_entries(gql, resources)
    last = (await log_rows(resources))[-1].seq

    async def delete(seq: int) -> None:
        async with superuser.transaction():
            await superuser.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            await superuser.execute("DELETE FROM audit_log WHERE seq = $1", seq)
            await superuser.execute(
                "ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_append_only"
            )

    await delete(last)
    tail = run(["audit", "verify"], migrated, tmp_path)
    assert tail.returncode == 1 and f"entries after {last - 1} are missing" in tail.stderr
    await delete(2)
    gap = run(["audit", "verify"], migrated, tmp_path)
    assert gap.returncode == 1 and "BROKEN at entry 2: entry 2 is missing" in gap.stderr


async def test_concurrent_appends_make_one_unbroken_chain(
    gql: GraphQLClient, resources: Resources
) -> None:
    doctor = await account(resources, Role.CLINICIAN)
    pids = [await patient(resources, doctor, f"C{i}") for i in range(8)]
    await asyncio.gather(*(gql.data(PATIENT, {"id": str(p)}, token=doctor.token) for p in pids * 3))
    rows = await log_rows(resources)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert sum(r.action == "PATIENT_READ" for r in rows) == 24
    async with resources.sessions() as session:
        verdict = await verify_chain(session)
    assert verdict.ok and verdict.checked == len(rows), verdict
