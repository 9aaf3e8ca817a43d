"""Plans of the patient fields: the root fields call the resolvers' own
bodies; the relations load through the same viewer-filtered loaders, once
for every patient at their level."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, cast

from prescripcare.adherence.counts import DayCounts, WindowKey
from prescripcare.adherence.loaders import DoseDaysLoader, fills_of_patients, fills_per_patient
from prescripcare.adherence.rollup import counts_per_key, rollup_counts, rollup_params
from prescripcare.adherence.service import fill_coverage_many, from_counts
from prescripcare.adherence.types import AdherenceType, window_or_error
from prescripcare.auth.types import UserType
from prescripcare.db import SessionFactory
from prescripcare.doses.loaders import (
    doses_of_patients_between,
    doses_per_window,
    next_doses_of_patients,
    window_params,
)
from prescripcare.doses.types import DoseType
from prescripcare.drugs.interactions import find_interactions
from prescripcare.drugs.types import Interaction
from prescripcare.graphql.context import Context
from prescripcare.loading import one_per_key
from prescripcare.patients.loaders import caregivers_of_patients, users_per_patient
from prescripcare.patients.queries import find_patient, list_patients
from prescripcare.patients.types import PatientConnection, PatientType, check_dose_window
from prescripcare.plans.fields.drugs import PreparedCatalog
from prescripcare.plans.registry import batch
from prescripcare.plans.session import reads_of
from prescripcare.plans.statements import Prepared
from prescripcare.prescriptions.loaders import by_patient_and_status, prescriptions_of_patients
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
        sessions=cast(SessionFactory, reads_of(ctx)),
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
    ids = _ids(parents)
    rows = await reads_of(ctx).fetch(
        CAREGIVERS_OF_PATIENTS, ctx.require_viewer(), patient_ids=sorted(set(ids))
    )
    found = users_per_patient(ids, ((r.patient_id, r) for r in rows))
    return [[UserType.from_model(u) for u in users] for users in found]


CAREGIVERS_OF_PATIENTS = Prepared(caregivers_of_patients)


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
    found = await _prescriptions(ctx, parents, value)
    return [[PrescriptionType.from_model(p) for p in group] for group in found]


PRESCRIPTIONS_OF_PATIENTS = Prepared(prescriptions_of_patients)


async def _prescriptions(ctx: Context, parents: Parents, status: str | None) -> list[list[Any]]:
    """As `PrescriptionsByPatientLoader` answers, from the same statement."""
    ids = _ids(parents)
    patient_ids = sorted(set(ids))
    rows = await reads_of(ctx).fetch(
        PRESCRIPTIONS_OF_PATIENTS, ctx.require_viewer(), patient_ids=patient_ids
    )
    return by_patient_and_status([(pid, status) for pid in ids], patient_ids, rows)


@batch("Patient", "nextDose")
async def next_dose(ctx: Context, parents: Parents, args: Arguments) -> list[DoseType | None]:
    ids = _ids(parents)
    rows = await reads_of(ctx).fetch(
        NEXT_DOSES_OF_PATIENTS,
        ctx.require_viewer(),
        patient_ids=sorted(set(ids)),
        since=ctx.loaders.next_dose_by_patient.since,
    )
    found = one_per_key(ids, rows, lambda d: d.patient_id)
    return [DoseType.from_model(d) if d else None for d in found]


NEXT_DOSES_OF_PATIENTS = Prepared(next_doses_of_patients)


@batch("Patient", "doses")
async def doses(ctx: Context, parents: Parents, args: Arguments) -> list[list[DoseType]]:
    start, end = args["from"], args["to"]
    check_dose_window(start, end)
    keys = [(pid, start, end) for pid in _ids(parents)]
    rows = await reads_of(ctx).fetch(
        DOSES_OF_PATIENTS_BETWEEN, ctx.require_viewer(), **window_params(keys)
    )
    return [[DoseType.from_model(d) for d in group] for group in doses_per_window(keys, rows)]


DOSES_OF_PATIENTS_BETWEEN = Prepared(doses_of_patients_between)


DOSE_DAYS_BY_PATIENT = Prepared(partial(rollup_counts, key_column="patient_id"))
FILLS_OF_PATIENTS = Prepared(fills_of_patients)


async def day_counts(
    ctx: Context, prepared: Prepared, loader: DoseDaysLoader, keys: list[WindowKey]
) -> list[list[DayCounts]]:
    """As `loader` answers (its clock reading and on-time threshold), from
    the same statement."""
    params = rollup_params(keys, loader.now, loader.on_time)
    rows = await reads_of(ctx).fetch(prepared, ctx.require_viewer(), **params)
    return counts_per_key(keys, rows)


@batch("Patient", "adherence")
async def adherence(ctx: Context, parents: Parents, args: Arguments) -> list[AdherenceType]:
    now = ctx.now()
    windows = [
        window_or_error(args.get("days"), args.get("from"), args.get("to"), p.timezone, now)
        for p in parents
    ]
    ids = _ids(parents)
    patient_ids = sorted(set(ids))
    counts, fill_rows = await asyncio.gather(
        day_counts(
            ctx,
            DOSE_DAYS_BY_PATIENT,
            ctx.loaders.dose_days_by_patient,
            [(pid, first, last) for pid, (first, last) in zip(ids, windows, strict=True)],
        ),
        reads_of(ctx).fetch(FILLS_OF_PATIENTS, ctx.require_viewer(), patient_ids=patient_ids),
    )
    fills = fills_per_patient(ids, fill_rows)
    return figures(
        windows,
        counts,
        await fill_coverage_many(
            PreparedCatalog(ctx),
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
    active = await _prescriptions(ctx, parents, PrescriptionStatus.ACTIVE.value)
    # One lookup per patient; the drug loaders batch them into the same
    # three statements.
    findings = await asyncio.gather(
        *(find_interactions(loaders.drugs, [p.rxcui for p in group]) for group in active)
    )
    return [[Interaction.from_finding(f) for f in group] for group in findings]
