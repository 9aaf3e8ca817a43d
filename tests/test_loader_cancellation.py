"""A field error cancels its sibling fields (graphql-core's
gather_with_cancel); a loader future they shared with another field must
survive that, or the other field's await raises CancelledError and the
whole request fails. Found by the planner's oracle (tests/plans)."""

from __future__ import annotations

from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account

SHARED_KEY = """
query Shared($id: ID!, $at: DateTime!) {
  a: patient(id: $id) { nextDose { id } doses(from: $at, to: $at) { id } }
  b: patient(id: $id) { nextDose { id } }
}
"""


async def test_a_failed_field_does_not_cancel_a_load_another_field_waits_for(
    gql: GraphQLClient, resources: Resources, doctor: Account, patient_id: str
) -> None:
    at = resources.clock.now().isoformat()
    body = await gql.raw(SHARED_KEY, {"id": patient_id, "at": at}, token=doctor.token)
    assert body["data"] == {"a": None, "b": {"nextDose": None}}
    assert [e["path"] for e in body["errors"]] == [["a", "doses"]]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
