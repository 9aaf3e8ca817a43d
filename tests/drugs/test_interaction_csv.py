"""`prescripcare import-interactions`: a licensed feed's rules from CSV."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from prescripcare.db import transaction
from prescripcare.drugs.interaction_csv import CsvRejected, import_interactions
from prescripcare.drugs.models import DrugInteraction
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.drugs.catalog_state import scratch_catalog  # noqa: F401
from tests.drugs.documents import INTERACTION_CHECK
from tests.factories import Account

pytestmark = pytest.mark.usefixtures("scratch_catalog")
HEADER = "drug_a,drug_b,severity,description,source,source_version,licence\n"


async def run(res: Resources, content: str):  # type: ignore[no-untyped-def]
    async with transaction(res.sessions) as session:
        return await import_interactions(
            session, content, res.clock.now(), default_licence="test feed licence"
        )


async def count(res: Resources, source: str) -> int:
    async with res.sessions() as s:
        return int(
            await s.scalar(
                select(func.count())
                .select_from(DrugInteraction)
                .where(col(DrugInteraction.source) == source)
            )
            or 0
        )


async def test_a_valid_file_adds_rules_the_check_uses(
    gql: GraphQLClient, resources: Resources, clinician: Account
) -> None:
    result = await run(
        resources,
        HEADER
        + (
            "lisinopril,spironolactone,major,Both raise potassium.,Clinic feed,2026.1,\n"
            '36567,atc:C10AA,"Severe, really",Two statins: duplicate therapy.,Clinic feed,,\n'
            "class:atc:C09AA,9997,moderate,ACE inhibitor with spironolactone.,Clinic feed,,\n"
        ),
    )
    assert (result.rows, result.written) == (3, 3)
    assert result.notes == ["line 3: unknown severity 'severe, really' counted as MAJOR"]
    data = await gql.data(INTERACTION_CHECK, {"rxcuis": ["29046", "9997"]}, token=clinician.token)
    assert [(f["severity"], f["description"]) for f in data["interactions"]] == [
        ("MAJOR", "Both raise potassium.")
    ]
    again = await run(
        resources,
        HEADER + "lisinopril,spironolactone,major,Both raise potassium.,Clinic feed,2026.1,\n",
    )
    assert again.written == 0  # the same rule again changes nothing


async def test_a_malformed_file_is_rejected_whole_with_line_numbers(resources: Resources) -> None:
    content = HEADER + (
        "warfarin,aspirin,major,Fine row.,Bad feed,,\n"
        "warfarin,no-such-drug,major,Unknown drug.,Bad feed,,\n"
        "warfarin,warfarin,major,Itself.,Bad feed,,\n"
        "warfarin,aspirin,,No severity.,Bad feed,,\n"
        "warfarin,class:nope,minor,Unknown class.,Bad feed,,\n"
        "warfarin,aspirin,minor\n"
        "99999999,atc:c10,minor,Bad RXCUI and ATC.,,,\n"
    )
    with pytest.raises(CsvRejected) as rejected:
        await run(resources, content)
    assert [p.split(":")[0] for p in rejected.value.problems] == [
        "line 3",
        "line 4",
        "line 5",
        "line 6",
        "line 7",
        "line 8",
    ]
    assert "no ingredient named 'no-such-drug'" in rejected.value.problems[0]
    assert await count(resources, "Bad feed") == 0


async def test_missing_columns(resources: Resources) -> None:
    with pytest.raises(CsvRejected, match="1 bad row"):
        await run(resources, "a,b\n1,2\n")
