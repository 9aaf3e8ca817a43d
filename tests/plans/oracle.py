"""The conformance oracle: one document, one viewer, run through the planned
path and through the reference executor (graphql-core, plans switched off),
answers compared as the client sees them: data, nulls, errors with their
paths, messages and codes, and the patient reads each run audits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import Request

from prescripcare.audit.models import AuditAction
from prescripcare.audit.reads import ReadLog
from prescripcare.graphql.context import Loaders, build_context
from prescripcare.graphql.schema import build_schema
from prescripcare.plans.extension import PLANNED
from prescripcare.resources import Resources


class RecordingReadLog(ReadLog):
    """Remembers every patient read noted, as the audit log would get it."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[uuid.UUID, AuditAction]] = set()

    def add(self, patient_id: uuid.UUID, action: AuditAction = AuditAction.PATIENT_READ) -> None:
        super().add(patient_id, action)
        self.seen.add((patient_id, action))


@dataclass
class Answer:
    body: dict[str, Any]
    planned: bool
    reads: set[tuple[uuid.UUID, AuditAction]] = field(default_factory=set)


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
        reads = RecordingReadLog()
        ctx.reads = reads
        ctx.loaders = Loaders.for_viewer(self.resources, ctx.viewer, reads)
        result = await schema.execute(
            query, variables, context_value=ctx, operation_name=operation_name
        )
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [e.formatted for e in result.errors]
        return Answer(body, bool(ctx.extras.get(PLANNED)), reads.seen)

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
