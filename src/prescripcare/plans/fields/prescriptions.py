"""Plans of the prescription fields, each once for every prescription at
its level."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import date
from functools import partial
from typing import Any

from prescripcare.adherence.forecast import Supply, daily_amount, refill_due_on, runs_out_on
from prescripcare.adherence.loaders import PatientFill
from prescripcare.adherence.rollup import rollup_counts
from prescripcare.adherence.service import fill_coverage_many
from prescripcare.adherence.types import AdherenceType, window_or_error
from prescripcare.doses.loaders import next_doses_of_prescriptions
from prescripcare.doses.types import DoseType
from prescripcare.drugs.loaders import concepts_by_rxcui
from prescripcare.drugs.types import DrugType
from prescripcare.graphql.context import Context
from prescripcare.loading import many_per_key, one_per_key
from prescripcare.plans.execute import every
from prescripcare.plans.fields.drugs import PreparedCatalog
from prescripcare.plans.fields.patients import day_counts, figures
from prescripcare.plans.registry import batch
from prescripcare.plans.session import reads_of
from prescripcare.plans.statements import Prepared
from prescripcare.prescriptions.loaders import fills_of_prescriptions
from prescripcare.prescriptions.models import Fill, PrescriptionStatus
from prescripcare.prescriptions.types import FillType, PrescriptionType

Parents = Sequence[Any]
Arguments = Mapping[str, Any]


CONCEPTS_BY_RXCUI = Prepared(concepts_by_rxcui)


@batch("Prescription", "drug")
async def drug(ctx: Context, parents: Parents, args: Arguments) -> list[DrugType]:
    keys = [p._model.rxcui for p in parents]
    rows = await reads_of(ctx).fetch(
        CONCEPTS_BY_RXCUI, ctx.require_viewer(), rxcuis=sorted(set(keys))
    )
    found = one_per_key(keys, rows, lambda c: c.rxcui)
    concepts = every(found, "a prescription names a drug outside the catalog")
    # Many prescriptions share a drug: one object each (only ever read).
    built = {id(c): DrugType.from_model(c) for c in concepts}
    return [built[id(c)] for c in concepts]


@batch("Prescription", "nextDose")
async def next_dose(ctx: Context, parents: Parents, args: Arguments) -> list[DoseType | None]:
    active = [p._model.id for p in parents if p._model.status == PrescriptionStatus.ACTIVE.value]
    rows: list[Any] = (
        await reads_of(ctx).fetch(
            NEXT_DOSES_OF_PRESCRIPTIONS,
            ctx.require_viewer(),
            prescription_ids=sorted(set(active)),
            since=ctx.loaders.next_dose_by_prescription.since,
        )
        if active
        else []
    )
    found = dict(zip(active, one_per_key(active, rows, _prescription_id), strict=True))
    out: list[DoseType | None] = []
    for p in parents:
        dose = found.get(p._model.id)
        out.append(DoseType.from_model(dose) if dose else None)
    return out


def _prescription_id(row: Any) -> Any:
    return row.prescription_id


NEXT_DOSES_OF_PRESCRIPTIONS = Prepared(next_doses_of_prescriptions)
FILLS_OF_PRESCRIPTIONS = Prepared(fills_of_prescriptions)
DOSE_DAYS_BY_PRESCRIPTION = Prepared(partial(rollup_counts, key_column="prescription_id"))


async def _fills(ctx: Context, parents: Parents) -> list[list[Fill]]:
    """As `FillsByPrescriptionLoader` answers, from the same statement."""
    ids = [p._model.id for p in parents]
    rows = await reads_of(ctx).fetch(
        FILLS_OF_PRESCRIPTIONS, ctx.require_viewer(), prescription_ids=sorted(set(ids))
    )
    return many_per_key(ids, rows, lambda f: f.prescription_id)


@batch("Prescription", "adherence")
async def adherence(ctx: Context, parents: Parents, args: Arguments) -> list[AdherenceType]:
    loaders = ctx.loaders
    patients = every(
        await loaders.patient_by_id.load_many([p._model.patient_id for p in parents]),
        "a visible prescription without a visible patient",
    )
    now = ctx.now()
    days, first, last = args.get("days"), args.get("from"), args.get("to")
    windows = [window_or_error(days, first, last, p.timezone, now) for p in patients]
    counts, fills = await asyncio.gather(
        day_counts(
            ctx,
            DOSE_DAYS_BY_PRESCRIPTION,
            loaders.dose_days_by_prescription,
            [(p._model.id, w[0], w[1]) for p, w in zip(parents, windows, strict=True)],
        ),
        _fills(ctx, parents),
    )
    own = [
        [PatientFill(f.prescription_id, p._model.rxcui, f.filled_on, f.days_supply) for f in group]
        for p, group in zip(parents, fills, strict=True)
    ]
    coverage = await fill_coverage_many(
        PreparedCatalog(ctx),
        [(f, first, last) for f, (first, last) in zip(own, windows, strict=True)],
        by_class=False,
    )
    return figures(windows, counts, coverage)


def _runs_out(p: PrescriptionType, fills: list[Fill]) -> date | None:
    supplies = [Supply(f.filled_on, f.days_supply, f.quantity) for f in fills]
    return runs_out_on(supplies, daily_amount(p._model))


@batch("Prescription", "runsOutOn")
async def runs_out(ctx: Context, parents: Parents, args: Arguments) -> list[date | None]:
    fills = await _fills(ctx, parents)
    return [_runs_out(p, group) for p, group in zip(parents, fills, strict=True)]


@batch("Prescription", "refillDueOn")
async def refill_due(ctx: Context, parents: Parents, args: Arguments) -> list[date | None]:
    fills = await _fills(ctx, parents)
    days = ctx.resources.settings.refill_reminder_days
    return [
        refill_due_on(_runs_out(p, group), max((f.filled_on for f in group), default=None), days)
        for p, group in zip(parents, fills, strict=True)
    ]


@batch("Prescription", "fills")
async def fills(ctx: Context, parents: Parents, args: Arguments) -> list[list[FillType]]:
    return [[FillType.from_model(f) for f in group] for group in await _fills(ctx, parents)]
