"""Prescribing: validation, roles, and the interaction gate."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from prescripcare.auth.models import Role
from prescripcare.doses.models import Dose
from prescripcare.prescriptions.models import InteractionOverride, Prescription
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account, account
from tests.prescriptions.documents import (
    ASPIRIN,
    ATAZANAVIR,
    LISINOPRIL,
    OMEPRAZOLE,
    PRESCRIBE,
    PRESCRIBE_WITH_WARNINGS,
    SIMVASTATIN,
    WARFARIN,
    prescription,
)


async def counts(res: Resources) -> tuple[int, int, int]:
    async with res.sessions() as s:
        return (
            int(await s.scalar(select(func.count()).select_from(Prescription)) or 0),
            int(await s.scalar(select(func.count()).select_from(Dose)) or 0),
            int(await s.scalar(select(func.count()).select_from(InteractionOverride)) or 0),
        )


async def prescribe(
    gql: GraphQLClient, who: Account, variables: dict[str, Any], document: str = PRESCRIBE
) -> dict[str, Any]:
    out: dict[str, Any] = (await gql.data(document, variables, token=who.token))["prescribe"]
    return out


async def test_prescribing_creates_the_prescription_and_its_doses(
    gql: GraphQLClient, resources: Resources, doctor: Account, patient_id: str
) -> None:
    out = await prescribe(
        gql, doctor, prescription(patient_id, WARFARIN, schedule={"timesOfDay": ["08:00", "20:00"]})
    )
    assert out["errors"] == []
    p = out["prescription"]
    assert p["status"] == "ACTIVE" and p["drug"] == {"rxcui": WARFARIN, "name": "warfarin"}
    assert p["schedule"] == {"timesOfDay": ["08:00", "20:00"], "daysOfWeek": [], "asNeeded": False}
    # Now is 2026-01-13 15:00Z (10:00 in New York): the next dose is 20:00 local.
    assert p["nextDose"]["scheduledAt"] == "2026-01-14T01:00:00Z"
    assert await counts(resources) == (1, 28, 0)  # 14 days, twice a day


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"schedule": {"timesOfDay": []}}, "INVALID", "input.schedule.timesOfDay"),
        ({"schedule": {"timesOfDay": ["08:00", "08:00"]}}, "INVALID", "input.schedule.timesOfDay"),
        (
            {"schedule": {"timesOfDay": [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30)]}},
            "INVALID",
            "input.schedule.timesOfDay",
        ),
        ({"schedule": {"everyHours": 0}}, "INVALID", "input.schedule.everyHours"),
        ({"schedule": {"everyHours": 25}}, "INVALID", "input.schedule.everyHours"),
        (
            {"schedule": {"timesOfDay": ["08:00"], "everyDays": 0}},
            "INVALID",
            "input.schedule.everyDays",
        ),
        (
            {"schedule": {"timesOfDay": ["08:00"], "everyDays": 366}},
            "INVALID",
            "input.schedule.everyDays",
        ),
        ({"schedule": {"daysOfWeek": ["MON"]}}, "INVALID", "input.schedule.timesOfDay"),
        ({"schedule": {}}, "INVALID", "input.schedule.timesOfDay"),
        ({"endDate": "2026-01-12"}, "INVALID", "input.endDate"),
        ({"dose": {"quantity": 0, "unit": "tablet"}}, "INVALID", "input.dose.quantity"),
        ({"dose": {"quantity": 1, "unit": "  "}}, "INVALID", "input.dose.unit"),
        ({"daysSupply": 0}, "INVALID", "input.daysSupply"),
        ({"refills": -1}, "INVALID", "input.refills"),
        ({"rxcui": "99999999"}, "UNKNOWN_DRUG", "input.rxcui"),
        ({"rxcui": "warfarin"}, "UNKNOWN_DRUG", "input.rxcui"),
    ],
)
async def test_nonsense_is_refused_with_its_field_and_nothing_written(
    gql: GraphQLClient,
    resources: Resources,
    doctor: Account,
    patient_id: str,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    out = await prescribe(gql, doctor, prescription(patient_id, WARFARIN, **overrides))
    assert out["prescription"] is None
    assert [(e["code"], e["field"]) for e in out["errors"]] == [(code, field)]
    assert await counts(resources) == (0, 0, 0)


async def test_as_needed_prescriptions_have_no_doses(
    gql: GraphQLClient, resources: Resources, doctor: Account, patient_id: str
) -> None:
    out = await prescribe(
        gql, doctor, prescription(patient_id, ASPIRIN, schedule={"asNeeded": True})
    )
    assert out["errors"] == [] and out["prescription"]["nextDose"] is None
    assert await counts(resources) == (1, 0, 0)


async def test_major_interaction_needs_acknowledgement(
    gql: GraphQLClient, resources: Resources, doctor: Account, patient_id: str
) -> None:
    await prescribe(gql, doctor, prescription(patient_id, WARFARIN))
    before = await counts(resources)
    refused = await prescribe(gql, doctor, prescription(patient_id, ASPIRIN))
    assert refused["prescription"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("INTERACTION_REQUIRES_ACKNOWLEDGEMENT", "input.acknowledgeInteractions")
    ]
    assert [w["severity"] for w in refused["interactionWarnings"]] == ["MAJOR"]
    assert await counts(resources) == before
    accepted = await prescribe(
        gql, doctor, prescription(patient_id, ASPIRIN, acknowledgeInteractions=True)
    )
    assert accepted["errors"] == [] and accepted["prescription"]["status"] == "ACTIVE"
    assert [w["severity"] for w in accepted["interactionWarnings"]] == ["MAJOR"]
    async with resources.sessions() as s:
        override = (await s.scalars(select(InteractionOverride))).one()
    assert (override.severity, override.acknowledged_by) == ("MAJOR", doctor.id)
    assert sorted(override.ingredient_rxcuis) == sorted([ASPIRIN, WARFARIN])


async def test_contraindicated_needs_acknowledgement_and_a_reason(
    gql: GraphQLClient, resources: Resources, doctor: Account, patient_id: str
) -> None:
    await prescribe(gql, doctor, prescription(patient_id, OMEPRAZOLE))
    before = await counts(resources)
    for extra in (
        {},
        {"acknowledgeInteractions": True},
        {"acknowledgeInteractions": True, "overrideReason": "   "},
        {"overrideReason": "Specialist advice"},
    ):
        refused = await prescribe(gql, doctor, prescription(patient_id, ATAZANAVIR, **extra))
        assert [e["code"] for e in refused["errors"]] == ["INTERACTION_CONTRAINDICATED"], extra
        assert refused["interactionWarnings"][0]["severity"] == "CONTRAINDICATED"
        assert await counts(resources) == before
    accepted = await prescribe(
        gql,
        doctor,
        prescription(
            patient_id,
            ATAZANAVIR,
            acknowledgeInteractions=True,
            overrideReason="HIV specialist: omeprazole stopped next week",
        ),
    )
    assert accepted["errors"] == []
    async with resources.sessions() as s:
        override = (await s.scalars(select(InteractionOverride))).one()
    assert override.reason == "HIV specialist: omeprazole stopped next week"
    assert override.severity == "CONTRAINDICATED"


async def test_moderate_is_prescribed_and_reported_and_duplicates_warned(
    gql: GraphQLClient, resources: Resources, doctor: Account, patient_id: str
) -> None:
    await prescribe(gql, doctor, prescription(patient_id, "10831"))  # sulfamethoxazole/trimethoprim
    out = await prescribe(
        gql, doctor, prescription(patient_id, LISINOPRIL), PRESCRIBE_WITH_WARNINGS
    )
    assert out["errors"] == [] and out["prescription"]
    assert [
        (w["severity"], {d["name"] for d in w["drugs"]}) for w in out["interactionWarnings"]
    ] == [("MODERATE", {"lisinopril", "trimethoprim"})]
    again = await prescribe(
        gql, doctor, prescription(patient_id, SIMVASTATIN), PRESCRIBE_WITH_WARNINGS
    )
    twice = await prescribe(
        gql, doctor, prescription(patient_id, SIMVASTATIN), PRESCRIBE_WITH_WARNINGS
    )
    assert again["warnings"] == []
    assert [w["code"] for w in twice["warnings"]] == ["DUPLICATE_THERAPY"]
    assert "simvastatin" in twice["warnings"][0]["message"]


async def test_a_patient_reports_their_own_medicines_only(
    gql: GraphQLClient, resources: Resources, doctor: Account, patient_id: str
) -> None:
    me = await account(resources, Role.PATIENT)
    own = await prescribe(
        gql, me, prescription(me.patient_id, SIMVASTATIN), PRESCRIBE_WITH_WARNINGS
    )
    assert own["errors"] == [] and own["prescription"]["selfReported"] is True
    other = await prescribe(gql, me, prescription(patient_id, SIMVASTATIN))
    assert [(e["code"], e["field"]) for e in other["errors"]] == [("NOT_FOUND", "input.patientId")]
    by_doctor = await prescribe(
        gql, doctor, prescription(patient_id, SIMVASTATIN), PRESCRIBE_WITH_WARNINGS
    )
    assert by_doctor["prescription"]["selfReported"] is False


@pytest.mark.parametrize("role", [Role.CAREGIVER, Role.ADMIN])
async def test_caregivers_and_admins_may_not_prescribe(
    gql: GraphQLClient, resources: Resources, patient_id: str, role: Role
) -> None:
    caller = await account(resources, role)
    body = await gql.raw(PRESCRIBE, prescription(patient_id, WARFARIN), token=caller.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await counts(resources) == (0, 0, 0)


async def test_a_backdated_start_creates_no_past_doses(
    gql: GraphQLClient, resources: Resources, doctor: Account, patient_id: str
) -> None:
    out = await prescribe(gql, doctor, prescription(patient_id, WARFARIN, startDate="2025-06-01"))
    assert out["prescription"]["nextDose"]["scheduledAt"] == "2026-01-14T13:00:00Z"
    async with resources.sessions() as s:
        earliest = await s.scalar(select(func.min(Dose.scheduled_at)))
    assert earliest is not None and earliest > resources.clock.now()
