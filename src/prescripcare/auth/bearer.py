"""The access token of an `Authorization: Bearer ...` header: one reading
for GraphQL over HTTP and WebSocket, the FHIR export and the reports."""

from __future__ import annotations


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
