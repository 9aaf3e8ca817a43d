"""GraphQL over HTTP's two response media types. A client that accepts
application/graphql-response+json gets it, with the spec's status codes: 400
when the request failed before execution (a parse, validation or variable
error, so there is no `data` entry), 200 once execution started. Everyone
else keeps application/json, always 200, as clients written before that
media type expect."""

from __future__ import annotations

from typing import Any

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def _quality(accept: str, media_type: str) -> float:
    best = 0.0
    for part in accept.split(","):
        name, *params = (p.strip() for p in part.split(";"))
        if name.lower() != media_type:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best = max(best, quality)
    return best


def prefers_graphql_response(accept: str | None) -> bool:
    """Only when named explicitly and liked at least as much as plain JSON
    (`*/*` or no Accept keeps the older media type)."""
    if not accept:
        return False
    wanted = _quality(accept, GRAPHQL_RESPONSE)
    return wanted > 0 and wanted >= _quality(accept, JSON)


def is_request_error(response: Any) -> bool:
    """Errors without a `path` never reached execution: graphql-core gives
    every field error a path."""
    if not isinstance(response, dict) or response.get("data") is not None:
        return False
    errors = response.get("errors") or []
    return bool(errors) and all(not error.get("path") for error in errors)
