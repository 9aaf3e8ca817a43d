"""Patient queries: one patient, and the viewer's patients in pages."""

from __future__ import annotations

from enum import Enum

import strawberry

from prescripcare.db import SessionFactory, reading
from prescripcare.errors import not_found
from prescripcare.graphql.context import Context
from prescripcare.graphql.errors import bad_input
from prescripcare.graphql.info import Info
from prescripcare.graphql.pagination import (
    PATIENTS_PAGE,
    PageInfo,
    decode_cursor_with_value,
    encode_cursor,
)
from prescripcare.ids import parse_uuid
from prescripcare.patients.listing import (
    MAX_SEARCH_LENGTH,
    AdherenceOrder,
    Anchor,
    StaleCursor,
    count_patients,
    page_patients,
)
from prescripcare.patients.types import PatientConnection, PatientEdge, PatientType

CURSOR_KIND = "patient"
ADHERENCE_CURSOR_KIND = "patient-adherence"


@strawberry.enum(description="Orders of the `patients` list.")
class PatientOrder(Enum):
    NAME = "NAME"
    DOSE_ADHERENCE_ASC = "DOSE_ADHERENCE_ASC"


async def find_patient(ctx: Context, id: str) -> PatientType:
    """`patient(id)`: the resolver's body, shared with its execution plan."""
    ctx.require_viewer()
    pid = parse_uuid(id)
    found = await ctx.loaders.patient_by_id.load(pid) if pid else None
    if found is None:
        raise not_found("Patient")
    return PatientType.from_model(found)


async def list_patients(
    ctx: Context,
    *,
    first: int | None,
    after: str | None,
    search: str | None,
    adherence_below: float | None,
    order_by: PatientOrder,
    adherence_days: int,
    sessions: SessionFactory | None = None,
) -> PatientConnection:
    """`patients(...)`: the resolver's body, shared with its execution plan
    (which passes its operation's connection as `sessions`)."""
    viewer = ctx.require_viewer()
    factory = sessions or ctx.read_sessions
    if search is not None and len(search) > MAX_SEARCH_LENGTH:
        raise bad_input("search", f"Search is limited to {MAX_SEARCH_LENGTH} characters.")
    if adherence_below is not None and not 0 <= adherence_below <= 1:
        raise bad_input("adherenceBelow", "adherenceBelow is a fraction from 0 to 1.")
    if not 1 <= adherence_days <= 365:
        raise bad_input("adherenceDays", "adherenceDays must be between 1 and 365.")
    by_adherence = order_by is PatientOrder.DOSE_ADHERENCE_ASC
    kind = ADHERENCE_CURSOR_KIND if by_adherence else CURSOR_KIND
    size = PATIENTS_PAGE.clamp(first)
    decoded = decode_cursor_with_value(kind, after)
    anchor = Anchor(decoded[0], decoded[1]) if decoded else None
    window = AdherenceOrder(days=adherence_days, now=ctx.now())
    async with reading(factory) as session:
        try:
            page = await page_patients(
                session,
                viewer,
                first=size,
                after=anchor,
                search=search,
                adherence=window,
                adherence_below=adherence_below,
                by_adherence=by_adherence,
            )
        except StaleCursor:
            raise bad_input(
                "after", "This cursor's patient is no longer listed; start again."
            ) from None

    ctx.reads.add_many(p.id for p in page.patients)

    async def total() -> int:
        async with reading(factory) as count_session:
            return await count_patients(count_session, viewer, search, adherence_below, window)

    edges = [
        PatientEdge(
            cursor=encode_cursor(kind, p.id, value if by_adherence else None),
            node=PatientType.from_model(p),
        )
        for p, value in zip(page.patients, page.sort_values, strict=True)
    ]
    return PatientConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=anchor is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _total=total,
    )


@strawberry.type
class PatientQuery:
    @strawberry.field(description="A patient the caller may see; NOT_FOUND otherwise.")
    async def patient(self, info: Info, id: strawberry.ID) -> PatientType | None:
        return await find_patient(info.context, id)

    @strawberry.field(
        description="The patients the caller may see, ordered by name then id (or, with "
        "orderBy: DOSE_ADHERENCE_ASC, lowest dose adherence over the last adherenceDays "
        "first, patients with nothing counted yet last). `first` defaults to 20 and is "
        "clamped to 1..100; `search` matches every word in the name; `adherenceBelow` keeps "
        "patients whose dose adherence is below it."
    )
    async def patients(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
        adherence_below: float | None = None,
        order_by: PatientOrder = PatientOrder.NAME,
        adherence_days: int = 30,
    ) -> PatientConnection:
        return await list_patients(
            info.context,
            first=first,
            after=after,
            search=search,
            adherence_below=adherence_below,
            order_by=order_by,
            adherence_days=adherence_days,
        )
