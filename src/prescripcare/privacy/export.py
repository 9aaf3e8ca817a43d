"""`exportPatientData`: everything held about a patient, as one JSON document.

The export is the rows themselves, table by table (the schema's own names in
camelCase), so it is complete by construction; drug names are added beside
the RxNorm codes so a person can read it without our catalog.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.audit.models import RECORDED_FIELDS, AuditAction, AuditEntry
from prescripcare.audit.service import record as audit
from prescripcare.auth.models import Role
from prescripcare.auth.viewer import Viewer
from prescripcare.drugs.models import DrugConcept
from prescripcare.errors import not_found
from prescripcare.patients.models import Patient
from prescripcare.patients.service import find_visible_patient
from prescripcare.privacy.collect import Row, rows_about_patient, without_secrets

FORMAT = "prescripcare-patient-export/1"


@dataclass(frozen=True)
class PatientRecord:
    """The rows about one patient, and the drug names they refer to."""

    patient: Patient
    tables: dict[str, list[Row]]
    drug_names: dict[str, str]
    audit_entries: list[Row]


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _referenced_rxcuis(tables: dict[str, list[Row]]) -> set[str]:
    return {str(row["rxcui"]) for rows in tables.values() for row in rows if row.get("rxcui")}


# What an audit entry says, in log order, without its chain bookkeeping.
AUDIT_COLUMNS = ("seq", *RECORDED_FIELDS)
# Where a request came from identifies the person who sent it: the patient's
# own entries keep theirs, other people (staff, caregivers) appear by id and
# role only (docs/privacy.md).
ORIGIN_COLUMNS = ("ip", "request_id")


def _as_exported(entry: Row, owner: object) -> Row:
    if entry["actor_id"] is not None and entry["actor_id"] == owner:
        return entry
    return {k: (None if k in ORIGIN_COLUMNS else v) for k, v in entry.items()}


async def load_record(
    session: AsyncSession, viewer: Viewer, patient_id: str, now: datetime
) -> PatientRecord:
    """The patient's record if the viewer may export it.

    The patient themself and ADMINs only (the contract's role table): a
    caregiver or clinician reads the record but does not carry it away.
    """
    viewer.require_role(Role.PATIENT, Role.ADMIN)
    patient = await find_visible_patient(session, viewer, patient_id)
    if patient is None:
        raise not_found("Patient", "patientId")
    tables = await rows_about_patient(session, patient.id, patient.user_id)
    rxcuis = _referenced_rxcuis(tables)
    names: dict[str, str] = {}
    if rxcuis:
        result = await session.execute(
            select(col(DrugConcept.rxcui), col(DrugConcept.name)).where(
                col(DrugConcept.rxcui).in_(rxcuis)
            )
        )
        names = {rxcui: name for rxcui, name in result}
    audit_table = AuditEntry.__table__  # type: ignore[attr-defined]
    entries = await session.execute(
        select(*(audit_table.c[c] for c in AUDIT_COLUMNS))
        .where(audit_table.c.patient_id == patient.id)
        .order_by(audit_table.c.seq)
    )
    # Recorded in the same transaction: no export leaves without its entry.
    await audit(
        session, viewer, AuditAction.PATIENT_EXPORTED, "Patient", patient.id, patient.id, now
    )
    return PatientRecord(
        patient=patient,
        tables=tables,
        drug_names=names,
        audit_entries=[_as_exported(dict(row._mapping), patient.user_id) for row in entries],
    )


def export_document(record: PatientRecord, now: datetime) -> dict[str, Any]:
    tables = {
        camel(name): [{camel(k): v for k, v in without_secrets(row).items()} for row in rows]
        for name, rows in sorted(record.tables.items())
    }
    return {
        "format": FORMAT,
        "exportedAt": now,
        "patientId": record.patient.id,
        "records": tables,
        "drugNames": dict(sorted(record.drug_names.items())),
        "auditEntries": [{camel(k): v for k, v in row.items()} for row in record.audit_entries],
    }


def _default(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"not serialisable: {type(value).__name__}")


def to_json(document: dict[str, Any]) -> str:
    # UTC instants end in Z like every DateTime the API answers.
    return orjson.dumps(
        document, default=_default, option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC
    ).decode()
