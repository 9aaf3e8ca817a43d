"""The conformance oracle: one document, one viewer, run through the planned
path and through the reference executor (graphql-core, plans switched off),
answers compared as the client sees them: data, nulls, errors with their
paths, messages and codes, and the audit entries each run writes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import strawberry
from sqlalchemy import func, select
from sqlmodel import col
from starlette.requests import Request

from prescripcare.audit.models import AuditEntry
from prescripcare.graphql.context import build_context
from prescripcare.graphql.schema import build_schema
from prescripcare.plans.extension import PLANNED
from prescripcare.resources import Resources


@dataclass
class Answer:
    body: dict[str, Any]
    planned: bool
    # The audit entries the run wrote: (action, entity, entity id).
    reads: list[tuple[str, str, str | None]] = field(default_factory=list)


@dataclass
class Oracle:
    resources: Resources
    planned: strawberry.Schema
    reference: strawberry.Schema

    @classmethod
    def for_resources(cls, resources: Resources) -> Oracle:
        settings = resources.settings
        return cls(
            resources,
            build_schema(settings.model_copy(update={"graphql_plans": True})),
            build_schema(settings.model_copy(update={"graphql_plans": False})),
        )

    async def run(
        self,
        schema: strawberry.Schema,
        token: str | None,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> Answer:
        headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
        request = Request(
            {
                "type": "http",
                "method": "POST",
                "path": "/graphql",
                "headers": headers,
                "query_string": b"",
                "client": ("127.0.0.1", 4000),
            }
        )
        ctx = await build_context(
            self.resources, request, None, f"Bearer {token}" if token else None
        )
        before = await self._last_entry()
        result = await schema.execute(
            query, variables, context_value=ctx, operation_name=operation_name
        )
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            # In the order of their paths: graphql-core reports errors as
            # concurrent fields fail, so two reference runs of one document
            # can list the same errors in different orders.
            errors = [e.formatted for e in result.errors]
            body["errors"] = sorted(errors, key=lambda e: json.dumps(e, sort_keys=True))
        return Answer(body, bool(ctx.extras.get(PLANNED)), await self._entries_after(before))

    async def _last_entry(self) -> int:
        async with self.resources.sessions() as session:
            return int(
                await session.scalar(select(func.coalesce(func.max(AuditEntry.seq), 0))) or 0
            )

    async def _entries_after(self, seq: int) -> list[tuple[str, str, str | None]]:
        async with self.resources.sessions() as session:
            rows = await session.execute(
                select(col(AuditEntry.action), col(AuditEntry.entity), col(AuditEntry.entity_id))
                .where(col(AuditEntry.seq) > seq)
                .order_by(col(AuditEntry.seq))
            )
            return [(r[0], r[1], r[2]) for r in rows]

    async def compare(
        self,
        token: str | None,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> tuple[Answer, Answer]:
        """(planned, reference); the caller asserts what it expects."""
        planned = await self.run(self.planned, token, query, variables, operation_name)
        reference = await self.run(self.reference, token, query, variables, operation_name)
        return planned, reference
