"""The `auditLog` query: a patient's own trail, or any patient's for ADMIN."""

from __future__ import annotations

import strawberry

from prescripcare.audit.models import AuditAction
from prescripcare.audit.trail import page_entries
from prescripcare.audit.types import AuditEntryEdge, AuditEntryType, AuditLogConnection
from prescripcare.auth.models import Role
from prescripcare.errors import not_found
from prescripcare.graphql.info import Info
from prescripcare.graphql.pagination import (
    AUDIT_LOG_PAGE,
    PageInfo,
    invalid_cursor,
    unwrap_cursor,
    wrap_cursor,
)
from prescripcare.ids import parse_uuid

CURSOR_KIND = "audit"


MAX_SEQ = 2**63 - 1


def encode_cursor(seq: int) -> str:
    return wrap_cursor(CURSOR_KIND, str(seq))


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    payload = unwrap_cursor(CURSOR_KIND, cursor)
    # ASCII digits that fit the log's bigint sequence: "²" is a digit to
    # str.isdigit and 29 digits overflow the column.
    if payload is None or not payload.isascii() or not payload.isdigit():
        raise invalid_cursor()
    seq = int(payload)
    if seq > MAX_SEQ:
        raise invalid_cursor()
    return seq


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Who read or changed the patient's record, newest first. PATIENT (their "
        "own) and ADMIN (any patient, erased ones too) only. `first` defaults to 20 and is "
        "clamped to 1..100. Reading the trail is itself recorded."
    )
    async def audit_log(
        self,
        info: Info,
        patient_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> AuditLogConnection:
        ctx = info.context
        viewer = ctx.require_viewer()
        viewer.require_role(Role.PATIENT, Role.ADMIN)
        pid = parse_uuid(patient_id)
        if pid is None:
            raise not_found("Patient")
        if viewer.role is Role.PATIENT and await ctx.loaders.patient_by_id.load(pid) is None:
            raise not_found("Patient")
        size = AUDIT_LOG_PAGE.clamp(first)
        before = decode_cursor(after)
        async with ctx.resources.sessions() as session:
            page = await page_entries(session, pid, first=size, before_seq=before)
        ctx.reads.add(pid, AuditAction.AUDIT_LOG_READ)
        edges = [
            AuditEntryEdge(cursor=encode_cursor(e.seq or 0), node=AuditEntryType.from_model(e))
            for e in page.entries
        ]
        return AuditLogConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=before is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
