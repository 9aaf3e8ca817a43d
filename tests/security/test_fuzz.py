"""Schemathesis fuzzes every query and mutation of the production-mode app,
authenticated, with a bounded number of generated documents each: no answer
is a server error (a 5xx, a masked INTERNAL_SERVER_ERROR in the body, or
an answer that breaks the schema).

Production refuses introspection, so the schema comes from the checked-in
SDL (schema.graphql, which test_schema_file keeps equal to the server's)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.generation.case import Case
from starlette.testclient import TestClient

from prescripcare.app import create_app
from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.factories import Account, account
from tests.security.conftest import production_settings

# The contract's own scalars: well-formed values most of the time (so input
# gets past parsing into the services), anything at all otherwise.
_TEXT = st.text(max_size=40)
_SCALARS = {
    "LocalTime": st.times().map(lambda t: t.strftime("%H:%M")),
    "Date": st.dates().map(lambda d: d.isoformat()),
    "DateTime": st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
}
for _name, _valid in _SCALARS.items():
    schemathesis.graphql.scalar(
        _name, st.one_of(_valid, _valid, _valid, _TEXT).map(schemathesis.graphql.nodes.String)
    )

SDL = Path(__file__).resolve().parents[2] / "schema.graphql"
schema = schemathesis.graphql.from_path(SDL)
# Enough to reach odd arguments of every field while the whole run stays
# within about a minute on a CI machine.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


@pytest.fixture
def fuzz_client(migrated: Settings, clock: SettableClock) -> Iterator[TestClient]:
    with TestClient(create_app(production_settings(migrated), clock=clock)) as client:
        yield client


@pytest.fixture
async def fuzzer(production_resources: Resources, catalog: SeedReport) -> Account:
    # A clinician: the role that may run most operations, so generated input
    # reaches the services instead of stopping at FORBIDDEN.
    return await account(production_resources, Role[os.environ.get("FUZZ_ROLE", "CLINICIAN")])


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_generated_document_is_a_server_error(
    case: Case[Any], fuzz_client: TestClient, fuzzer: Account
) -> None:
    kwargs = case.as_transport_kwargs(
        base_url="http://testserver/graphql",
        headers={"Authorization": f"Bearer {fuzzer.token}"},
    )
    response = fuzz_client.request(
        kwargs["method"], kwargs["url"], json=kwargs.get("json"), headers=kwargs.get("headers")
    )
    assert response.status_code < 500, (case.body, response.text[:500])
    # Schemathesis's own body check counts every resolver error as a server
    # error; in this contract NOT_FOUND, FORBIDDEN and BAD_USER_INPUT are
    # top-level errors by design. A server error here is a masked internal
    # error, or an answer that breaks the schema (null for a non-null field).
    errors = response.json().get("errors") or []
    for error in errors:
        assert "Cannot return null for non-nullable" not in error["message"], (case.body, error)
        code = (error.get("extensions") or {}).get("code")
        assert code != "INTERNAL_SERVER_ERROR", (case.body, error)
