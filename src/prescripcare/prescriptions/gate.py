"""The interaction gate: what a new prescription meets among the medicines
the patient takes. CONTRAINDICATED needs an acknowledgement and a reason,
MAJOR an acknowledgement; the rest is prescribed and reported, and a shared
ingredient is a duplicate-therapy warning."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.drugs.interactions import Finding, InteractionLoaders
from prescripcare.drugs.models import Severity
from prescripcare.errors import ErrorCode, Problem, WarningCode
from prescripcare.prescriptions.access import CURRENT
from prescripcare.prescriptions.models import Prescription


@dataclass
class PrescribingWarning:
    code: WarningCode
    message: str


async def current_rxcuis(session: AsyncSession, patient_id: uuid.UUID) -> list[str]:
    rows = await session.scalars(
        select(col(Prescription.rxcui)).where(
            col(Prescription.patient_id) == patient_id, col(Prescription.status).in_(CURRENT)
        )
    )
    return list(dict.fromkeys(rows))


def gate(findings: list[Finding], acknowledged: bool, override_reason: str | None) -> list[Problem]:
    """The contract's rule: CONTRAINDICATED needs acknowledgement and a
    reason, MAJOR needs acknowledgement, the rest is prescribed and reported."""
    worst = max((f.severity.rank for f in findings), default=0)
    if worst >= Severity.CONTRAINDICATED.rank and not (acknowledged and override_reason):
        return [
            Problem(
                ErrorCode.INTERACTION_CONTRAINDICATED,
                "This drug is contraindicated with one the patient takes: acknowledge the "
                "interactions and give an override reason to prescribe it anyway.",
                "input.overrideReason",
            )
        ]
    if worst >= Severity.MAJOR.rank and not acknowledged:
        return [
            Problem(
                ErrorCode.INTERACTION_REQUIRES_ACKNOWLEDGEMENT,
                "This drug has a major interaction with one the patient takes: acknowledge it "
                "to prescribe.",
                "input.acknowledgeInteractions",
            )
        ]
    return []


async def duplicate_warnings(
    loaders: InteractionLoaders, rxcui: str, current: list[str]
) -> list[PrescribingWarning]:
    new = {c.rxcui: c.name for c in await loaders.ingredients.load(rxcui)}
    warnings = []
    for other in current:
        shared = sorted(
            new[c.rxcui] for c in await loaders.ingredients.load(other) if c.rxcui in new
        )
        if shared:
            warnings.append(
                PrescribingWarning(
                    WarningCode.DUPLICATE_THERAPY,
                    f"The patient already takes {', '.join(shared)} in an active prescription.",
                )
            )
    return warnings
