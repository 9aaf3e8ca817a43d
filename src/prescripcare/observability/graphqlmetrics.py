"""GraphQL operation timing, labelled by operation name.

Operation names come from clients, so the label set is capped: the first
names seen (the real clients' few dozen documents) keep their own series and
anything past the cap, or not an identifier, counts as "other".
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from prescripcare.observability.metrics import GRAPHQL_OPERATION_DURATION

MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_seen: set[str] = set()


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if name in _seen:
        return name
    if not _NAME.match(name) or len(_seen) >= MAX_OPERATION_NAMES:
        return "other"
    _seen.add(name)
    return name


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        label = operation_label(self.execution_context.operation_name)
        GRAPHQL_OPERATION_DURATION.labels(label).observe(time.perf_counter() - started)
