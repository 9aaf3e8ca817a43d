"""GraphQL face of export and erasure."""

from __future__ import annotations

import strawberry

from prescripcare.graphql.errors import UserError


@strawberry.type
class ExportPayload:
    json: str | None = strawberry.field(
        default=None,
        description="Everything held about the patient, as one JSON document "
        "(format `prescripcare-patient-export/1`, see docs/privacy.md).",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Rows removed from one table by an erasure.")
class ErasedRows:
    table: str
    rows: int


@strawberry.type(description="What an erasure removed: counts, never the values.")
class ErasureSummary:
    patient_id: strawberry.ID
    account_deleted: bool
    reminders_cancelled: int
    removed: list[ErasedRows]


@strawberry.type
class ErasePayload:
    ok: bool = False
    erased: ErasureSummary | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
