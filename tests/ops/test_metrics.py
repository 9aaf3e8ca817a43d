"""/metrics moves when requests, SQL statements and reminder sends happen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from pydantic import SecretStr
from sqlalchemy import text

from prescripcare.app import create_app
from prescripcare.auth.models import Role
from prescripcare.auth.types import UserType
from prescripcare.db import table_names, transaction
from prescripcare.notifications.console import ConsoleChannel
from prescripcare.observability.dbmetrics import classify
from prescripcare.observability.graphqlmetrics import (
    MAX_OPERATION_NAMES,
    known_operation_names,
    operation_label,
)
from prescripcare.reminders.service import RetryPolicy, queue_due, send_ready
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.conftest import GraphQLClient, asgi_client
from tests.factories import account
from tests.ops.scrape import delta, scrape
from tests.reminders.due import sms_doses_due

ME = "query Me { me { id email } }"
HTTP_OK = 'http_request_duration_seconds_count{method="POST",route="/graphql",status_code="200"}'


async def test_a_graphql_request_moves_http_graphql_and_database_metrics(
    client: httpx.AsyncClient, gql: GraphQLClient, resources: Resources
) -> None:
    user = await account(resources, Role.CLINICIAN)
    before = await scrape(client)
    await gql.data(ME, token=user.token)
    after = await scrape(client)
    assert delta(before, after, HTTP_OK) == 1
    assert delta(before, after, 'graphql_operation_duration_seconds_count{operation="Me"}') == 1
    users = 'database_query_duration_seconds_count{query_type="SELECT",table="users"}'
    assert delta(before, after, users) >= 1


async def test_a_masked_internal_error_is_counted(
    client: httpx.AsyncClient,
    gql: GraphQLClient,
    resources: Resources,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Masked failures answer HTTP 200: only this counter (and its alert) sees them."""
    user = await account(resources, Role.CLINICIAN)

    def fail(_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(UserType, "from_model", fail)
    before = await scrape(client)
    body = await gql.raw(ME, token=user.token)
    after = await scrape(client)
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert delta(before, after, "prescripcare_graphql_internal_errors_total{}") == 1
    assert delta(before, after, HTTP_OK) == 1


async def test_the_route_label_is_the_template_not_the_raw_path(
    client: httpx.AsyncClient,
) -> None:
    before = await scrape(client)
    await client.get("/no/such/path/with-a-patient-name-in-it")
    after = await scrape(client)
    unmatched = (
        'http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}'
    )
    assert delta(before, after, unmatched) == 1
    assert not [k for k in after if "patient-name" in k]


async def test_pool_in_use_counts_a_held_connection(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    key = 'database_pool_connections_in_use{engine="primary"}'
    idle = (await scrape(client))[key]
    async with resources.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        assert (await scrape(client))[key] == idle + 1
    assert (await scrape(client))['database_pool_connections_max{engine="primary"}'] == 20


async def test_sends_count_by_channel_outcome_and_kind_with_lateness(
    client: httpx.AsyncClient, resources: Resources, catalog: object
) -> None:
    now = resources.clock.now()
    async with transaction(resources.sessions) as session:
        await sms_doses_due(session, now, 2, timedelta(minutes=3))
        assert await queue_due(session, now, timedelta(hours=1), ["SMS"]) == 2
    before = await scrape(client)
    await send_ready(
        resources.sessions, {"SMS": ConsoleChannel("SMS")}, now, RetryPolicy(), "https://x"
    )
    after = await scrape(client)
    sent = (
        'prescripcare_notifications_total{channel="SMS",status="sent",type="medication_reminder"}'
    )
    assert delta(before, after, sent) == 2
    lateness = (
        'prescripcare_reminder_lateness_seconds_sum{channel="SMS",type="medication_reminder"}'
    )
    # Due 3 and 6 minutes before the send.
    assert delta(before, after, lateness) == pytest.approx(540)

    async with transaction(resources.sessions) as session:
        await sms_doses_due(session, now, 1, timedelta(minutes=1))
        await queue_due(session, now, timedelta(hours=1), ["SMS"])
    await send_ready(resources.sessions, {}, now, RetryPolicy(), "https://x")
    failed = (
        'prescripcare_notifications_total{channel="SMS",status="failed",type="medication_reminder"}'
    )
    assert delta(after, await scrape(client), failed) == 1


async def test_queue_depth_reads_the_arq_queue(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    queue = resources.keys.key("arq", "queue")
    await resources.redis.zadd(queue, {"job-a": 1, "job-b": 2})
    assert (await scrape(client))["prescripcare_arq_queue_depth{}"] == 2


def test_sql_labels_are_bounded() -> None:
    tables = table_names()
    assert classify('SELECT a FROM "patients" WHERE x = $1', tables) == ("SELECT", "patients")
    assert classify("INSERT INTO reminders (id) VALUES ($1)", tables) == ("INSERT", "reminders")
    assert classify("UPDATE doses SET status = $1", tables) == ("UPDATE", "doses")
    assert classify("SELECT 1", tables) == ("SELECT", "other")
    assert classify("SELECT * FROM secret_attacker_table", tables) == ("SELECT", "other")
    assert classify("SAVEPOINT sa_1", tables) == ("OTHER", "other")


def test_operation_names_are_capped() -> None:
    assert operation_label(None) == "anonymous"
    assert operation_label("bad name; drop") == "other"
    labels = {operation_label(f"Op{i}") for i in range(MAX_OPERATION_NAMES + 50)}
    assert "other" in labels
    assert len(labels) <= MAX_OPERATION_NAMES + 1
    many = [f"query Op{i} {{ me {{ id }} }}" for i in range(MAX_OPERATION_NAMES + 50)]
    assert len(known_operation_names(many)) == MAX_OPERATION_NAMES


async def test_junk_operation_names_never_become_labels(
    client: httpx.AsyncClient, gql: GraphQLClient, resources: Resources
) -> None:
    """Issue 19: 210 anonymous `query JunkN` requests used to take every
    label slot; only the known documents' names are labels."""
    user = await account(resources, Role.CLINICIAN)
    before = await scrape(client)
    for n in range(210):
        await gql.raw(f"query Junk{n} {{ __typename }}")
    await gql.data(ME, token=user.token)
    after = await scrape(client)
    assert not [k for k in after if "Junk" in k]
    other = 'graphql_operation_duration_seconds_count{operation="other"}'
    assert delta(before, after, other) == 210
    assert delta(before, after, 'graphql_operation_duration_seconds_count{operation="Me"}') == 1


@pytest.fixture
async def production_client(migrated: Settings) -> AsyncIterator[httpx.AsyncClient]:
    settings = migrated.model_copy(
        update={
            "prescripcare_env": "production",
            "metrics_token": SecretStr("scrape-token-" + "x" * 20),
        }
    )
    app = create_app(settings)
    async with LifespanManager(app), asgi_client(app) as c:
        yield c


async def test_production_metrics_need_the_token(production_client: httpx.AsyncClient) -> None:
    assert (await production_client.get("/metrics")).status_code == 404
    wrong = {"Authorization": "Bearer nope"}
    assert (await production_client.get("/metrics", headers=wrong)).status_code == 404
    good = {"Authorization": "Bearer scrape-token-" + "x" * 20}
    assert "http_request_duration_seconds" in await _text(production_client, good)


async def _text(http: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await http.get("/metrics", headers=headers)
    assert response.status_code == 200
    return response.text
