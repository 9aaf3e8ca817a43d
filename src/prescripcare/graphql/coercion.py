"""Top-level errors graphql-core raises without a code: a document that does
not parse or validate, and variables that do not coerce to their types.

Each gets its `extensions.code` (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED,
BAD_USER_INPUT; BAD_REQUEST for an operation that cannot be chosen), and a
variable's error names the field at fault (`extensions.field`, dotted like
`UserError.field`) and shows the value the client sent as JSON: graphql-core
writes Python's repr (`{'patientId': ...}`, `None`), which no client sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError

from prescripcare.errors import TopLevelCode

# graphql-core's coercion messages: "Variable '$input' has invalid value at
# .dose.quantity: Float cannot represent non numeric value: 'a'".
_VARIABLE = re.compile(r"^Variable '\$(?P<name>\w+)' (?P<rest>.*)$", re.DOTALL)
_AT = re.compile(r"^has invalid value(?: at (?P<path>[^:]*))?: (?P<detail>.*)$", re.DOTALL)
_NAMED_FIELD = re.compile(r"(?:required|unknown) field '(\w+)'")
_STEP = re.compile(r"\.(\w+)|\[(\d+)\]")
MAX_SHOWN = 200


def with_code(
    error: GraphQLError, code: TopLevelCode, message: str | None = None, field: str | None = None
) -> GraphQLError:
    extensions: dict[str, Any] = {**(error.extensions or {}), "code": code.value}
    if field is not None:
        extensions.setdefault("field", field)
    return GraphQLError(
        error.message if message is None else message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=extensions,
    )


def as_json(value: object) -> str:
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return shown if len(shown) <= MAX_SHOWN else shown[: MAX_SHOWN - 1] + "…"


def _value_at(value: object, path: str) -> tuple[object, list[str]]:
    names: list[str] = []
    for key, index in _STEP.findall(path):
        if key:
            names.append(key)
            value = value.get(key) if isinstance(value, Mapping) else None
        else:
            names[-1:] = [f"{names[-1] if names else ''}[{index}]"]
            value = (
                value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
            )
    return value, names


def variable_error(error: GraphQLError, variables: Mapping[str, Any] | None) -> GraphQLError:
    """BAD_USER_INPUT with the field's path and the sent value as JSON."""
    match = _VARIABLE.match(error.message)
    if match is None:
        return with_code(error, TopLevelCode.BAD_USER_INPUT)
    name, rest = match["name"], match["rest"]
    at = _AT.match(rest)
    if at is None:  # not provided, or null where null is not allowed
        return with_code(error, TopLevelCode.BAD_USER_INPUT, field=name)
    value, steps = _value_at((variables or {}).get(name), at["path"] or "")
    field = ".".join([name, *steps])
    detail = at["detail"]
    named = _NAMED_FIELD.search(detail)
    if named:  # a required field missing, or one the type does not have
        field = f"{field}.{named[1]}"
    if ", found: " in detail:
        detail = detail.split(", found: ", 1)[0] + f", found: {as_json(value)}."
    elif detail.endswith("not to be None."):
        detail = detail.removesuffix("None.") + "null."
    elif ": " in detail:
        # Scalars end with the value they refused: "...non numeric value: 'a'".
        detail = detail.rsplit(": ", 1)[0] + f": {as_json(value)}"
    where = f" at {at['path']}" if at["path"] else ""
    message = f"Variable '${name}' has invalid value{where}: {detail}"
    return with_code(error, TopLevelCode.BAD_USER_INPUT, message, field)
