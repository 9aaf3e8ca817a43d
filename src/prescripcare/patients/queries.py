"""Patient queries: one patient, and the viewer's patients in pages."""

from __future__ import annotations

import strawberry

from prescripcare.graphql.errors import bad_input, not_found
from prescripcare.graphql.info import Info
from prescripcare.graphql.pagination import PageInfo, clamp_first, decode_cursor, encode_cursor
from prescripcare.ids import parse_uuid
from prescripcare.patients.listing import (
    MAX_SEARCH_LENGTH,
    StaleCursor,
    count_patients,
    page_patients,
)
from prescripcare.patients.types import PatientConnection, PatientEdge, PatientType

CURSOR_KIND = "patient"


@strawberry.type
class PatientQuery:
    @strawberry.field(description="A patient the caller may see; NOT_FOUND otherwise.")
    async def patient(self, info: Info, id: strawberry.ID) -> PatientType | None:
        info.context.require_viewer()
        pid = parse_uuid(id)
        found = await info.context.loaders.patient_by_id.load(pid) if pid else None
        if found is None:
            raise not_found("Patient not found.")
        return PatientType.from_model(found)

    @strawberry.field(
        description="The patients the caller may see, ordered by name then id. `first` "
        "defaults to 20 and is clamped to 1..100; `search` matches every word in the name."
    )
    async def patients(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
    ) -> PatientConnection:
        ctx = info.context
        viewer = ctx.require_viewer()
        if search is not None and len(search) > MAX_SEARCH_LENGTH:
            raise bad_input("search", f"Search is limited to {MAX_SEARCH_LENGTH} characters.")
        size = clamp_first(first, default=20, maximum=100)
        anchor = decode_cursor(CURSOR_KIND, after)
        async with ctx.resources.sessions() as session:
            try:
                page = await page_patients(session, viewer, first=size, after=anchor, search=search)
            except StaleCursor:
                raise bad_input(
                    "after", "This cursor's patient is no longer listed; start again."
                ) from None

        async def total() -> int:
            async with ctx.resources.sessions() as count_session:
                return await count_patients(count_session, viewer, search)

        edges = [
            PatientEdge(cursor=encode_cursor(CURSOR_KIND, p.id), node=PatientType.from_model(p))
            for p in page.patients
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
