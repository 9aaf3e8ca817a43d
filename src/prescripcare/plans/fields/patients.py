"""Plans of the patient fields: the root fields call the resolvers' own
bodies; the relations load through the same viewer-filtered loaders, once
for every patient at their level."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from prescripcare.adherence.service import fill_coverage_many, from_counts
from prescripcare.adherence.types import AdherenceType, window_or_error
from prescripcare.auth.types import UserType
from prescripcare.doses.types import DoseType
from prescripcare.drugs.interactions import find_interactions
from prescripcare.drugs.types import Interaction
from prescripcare.graphql.context import Context
from prescripcare.patients.queries import find_patient, list_patients
from prescripcare.patients.types import PatientConnection, PatientType, check_dose_window
from prescripcare.plans.registry import batch
from prescripcare.prescriptions.models import PrescriptionStatus
from prescripcare.prescriptions.types import PrescriptionType

Parents = Sequence[Any]
Arguments = Mapping[str, Any]


@batch("Query", "patient")
async def patient(ctx: Context, parents: Parents, args: Arguments) -> list[PatientType]:
    return [await find_patient(ctx, args["id"])]


@batch("Query", "patients")
async def patients(ctx: Context, parents: Parents, args: Arguments) -> list[PatientConnection]:
    connection = await list_patients(
        ctx,
        first=args["first"],
        after=args["after"],
        search=args["search"],
        adherence_below=args["adherenceBelow"],
        order_by=args["orderBy"],
        adherence_days=args["adherenceDays"],
    )
    return [connection]


@batch("PatientConnection", "totalCount")
async def total_count(ctx: Context, parents: Parents, args: Arguments) -> list[int]:
    return [await p._total() for p in parents]


def _ids(parents: Sequence[PatientType]) -> list[Any]:
    return [p._model.id for p in parents]


@batch("Patient", "language")
async def language(ctx: Context, parents: Parents, args: Arguments) -> list[str]:
    default = ctx.resources.settings.default_language
    return [p.language_or(default) for p in parents]


@batch("Patient", "caregivers")
async def caregivers(ctx: Context, parents: Parents, args: Arguments) -> list[list[UserType]]:
    found = await ctx.loaders.caregivers_by_patient_id.load_many(_ids(parents))
    return [[UserType.from_model(u) for u in users] for users in found]


@batch("Patient", "careTeam")
async def care_team(ctx: Context, parents: Parents, args: Arguments) -> list[list[UserType]]:
    found = await ctx.loaders.care_team_by_patient_id.load_many(_ids(parents))
    return [[UserType.from_model(u) for u in users] for users in found]


@batch("Patient", "prescriptions")
async def prescriptions(
    ctx: Context, parents: Parents, args: Arguments
) -> list[list[PrescriptionType]]:
    status = args.get("status")
    value = PrescriptionStatus(status).value if status else None
    found = await ctx.loaders.prescriptions_by_patient.load_many(
        [(pid, value) for pid in _ids(parents)]
    )
    return [[PrescriptionType.from_model(p) for p in group] for group in found]


@batch("Patient", "nextDose")
async def next_dose(ctx: Context, parents: Parents, args: Arguments) -> list[DoseType | None]:
    found = await ctx.loaders.next_dose_by_patient.load_many(_ids(parents))
    return [DoseType.from_model(d) if d else None for d in found]


@batch("Patient", "doses")
async def doses(ctx: Context, parents: Parents, args: Arguments) -> list[list[DoseType]]:
    start, end = args["from"], args["to"]
    check_dose_window(start, end)
    found = await ctx.loaders.doses_by_patient_window.load_many(
        [(pid, start, end) for pid in _ids(parents)]
    )
    return [[DoseType.from_model(d) for d in group] for group in found]


@batch("Patient", "adherence")
async def adherence(ctx: Context, parents: Parents, args: Arguments) -> list[AdherenceType]:
    now = ctx.now()
    windows = [
        window_or_error(args.get("days"), args.get("from"), args.get("to"), p.timezone, now)
        for p in parents
    ]
    loaders = ctx.loaders
    ids = _ids(parents)
    counts, fills = await asyncio.gather(
        loaders.dose_days_by_patient.load_many(
            [(pid, first, last) for pid, (first, last) in zip(ids, windows, strict=True)]
        ),
        loaders.fills_by_patient.load_many(ids),
    )
    return figures(
        windows,
        counts,
        await fill_coverage_many(
            loaders.drugs,
            [(f, first, last) for f, (first, last) in zip(fills, windows, strict=True)],
            by_class=True,
        ),
    )


def figures(
    windows: Sequence[tuple[Any, Any]],
    counts: Sequence[Any],
    coverage: Sequence[tuple[float | None, float | None]],
) -> list[AdherenceType]:
    """The adherence figures of each window, as the resolver builds them."""
    out = []
    for (first, last), day_counts, (pdc, mpr) in zip(windows, counts, coverage, strict=True):
        result = from_counts(first, last, day_counts)
        result.pdc, result.mpr = pdc, mpr
        out.append(AdherenceType.from_result(result))
    return out


@batch("Patient", "interactions")
async def interactions(ctx: Context, parents: Parents, args: Arguments) -> list[list[Interaction]]:
    loaders = ctx.loaders
    active = await loaders.prescriptions_by_patient.load_many(
        [(pid, PrescriptionStatus.ACTIVE.value) for pid in _ids(parents)]
    )
    # One lookup per patient; the drug loaders batch them into the same
    # three statements.
    findings = await asyncio.gather(
        *(find_interactions(loaders.drugs, [p.rxcui for p in group]) for group in active)
    )
    return [[Interaction.from_finding(f) for f in group] for group in findings]
