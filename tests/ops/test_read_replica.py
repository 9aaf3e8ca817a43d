"""DATABASE_READ_URL: query operations load through the replica's engine,
mutations and the token check stay on the primary. The "replica" here is the
primary's own database under a second URL (what a streaming replica holds),
told apart by its engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import event, text
from starlette.applications import Starlette

from prescripcare.app import create_app, resources_of
from prescripcare.auth.models import Role
from prescripcare.settings import Settings
from tests.conftest import GraphQLClient, StatementCounter, asgi_client
from tests.factories import account, patient
from tests.patients.documents import UPDATE_PATIENT

PATIENT = "query P($id: ID!) { patient(id: $id) { id name } }"
PATIENTS = "query L { patients(first: 5) { totalCount edges { node { id name } } } }"


@pytest.fixture
async def replica_app(migrated: Settings) -> AsyncIterator[Starlette]:
    settings = migrated.model_copy(update={"database_read_url": migrated.database_url})
    app = create_app(settings)
    async with LifespanManager(app):
        yield app
        res = resources_of(app)
        async with res.engine.begin() as conn:
            await conn.execute(text("TRUNCATE users, patients CASCADE"))


def _counting(engine: Any) -> StatementCounter:
    counter = StatementCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", counter)
    return counter


async def test_queries_read_from_the_replica_and_mutations_from_the_primary(
    replica_app: Starlette,
) -> None:
    res = resources_of(replica_app)
    assert res.read_engine is not res.engine
    assert res.read_engine is not None
    doctor = await account(res, Role.CLINICIAN)
    pid = await patient(res, doctor, "Replica Reader")
    on_replica, on_primary = _counting(res.read_engine), _counting(res.engine)
    async with asgi_client(replica_app, "http://t") as http:
        gql = GraphQLClient(http)
        found = await gql.data(PATIENT, {"id": str(pid)}, token=doctor.token)
        assert found["patient"]["name"] == "Replica Reader"
        assert any("FROM patients" in s for s in on_replica.statements)
        assert not any("FROM patients" in s for s in on_primary.statements)

        on_replica.statements.clear()
        await gql.data(PATIENTS, token=doctor.token)
        assert any("FROM patients" in s for s in on_replica.statements)
        assert not any("FROM patients" in s for s in on_primary.statements)

        on_replica.statements.clear()
        await gql.data(
            UPDATE_PATIENT, {"id": str(pid), "input": {"name": "Renamed"}}, token=doctor.token
        )
        assert on_replica.statements == []
        async with res.read_engine.connect() as conn:
            name = await conn.scalar(text("SELECT current_setting('application_name')"))
    assert name == "prescripcare-replica"
