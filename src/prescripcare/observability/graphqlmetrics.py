"""GraphQL operation timing, labelled by operation name.

Operation names come from clients, so only the names of the known documents
(the trusted-documents manifests: the contract's, or TRUSTED_DOCUMENTS_FILES)
become labels; any other name counts as "other". A first-come cap let 210
junk names take every slot until a restart; a fixed set cannot
be filled.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from graphql import GraphQLError, OperationDefinitionNode, parse
from strawberry.extensions import SchemaExtension

from prescripcare.observability.metrics import GRAPHQL_OPERATION_DURATION

# A bound on the label set even for a very large manifest.
MAX_OPERATION_NAMES = 200


def known_operation_names(documents: Iterable[str]) -> frozenset[str]:
    """The operation names of the known documents, at most MAX_OPERATION_NAMES."""
    names: set[str] = set()
    for document in documents:
        try:
            definitions = parse(document, no_location=True).definitions
        except GraphQLError:
            continue
        for definition in definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                names.add(definition.name.value)
    return frozenset(sorted(names)[:MAX_OPERATION_NAMES])


def operation_label(name: str | None, known: frozenset[str] = frozenset()) -> str:
    if not name:
        return "anonymous"
    return name if name in known else "other"


class OperationMetrics(SchemaExtension):
    def __init__(self, *, known: frozenset[str] = frozenset()) -> None:
        self.known = known

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        label = operation_label(self.execution_context.operation_name, self.known)
        GRAPHQL_OPERATION_DURATION.labels(label).observe(time.perf_counter() - started)
