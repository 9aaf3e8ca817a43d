"""Reading an answer the way a hostile-client test needs to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from prescripcare.errors import ErrorCode, TopLevelCode

PAYLOAD_CODES = {c.value for c in ErrorCode}
# What a refused argument may answer at the top level: never an internal error.
TOP_LEVEL_CODES = {
    TopLevelCode.BAD_USER_INPUT.value,
    TopLevelCode.NOT_FOUND.value,
    TopLevelCode.FORBIDDEN.value,
    TopLevelCode.UNKNOWN_DRUG.value,
    TopLevelCode.BAD_REQUEST.value,
}


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    field: str

    @property
    def top_codes(self) -> list[str | None]:
        return [(e.get("extensions") or {}).get("code") for e in self.body.get("errors") or []]

    @property
    def payload(self) -> Any:
        return (self.body.get("data") or {}).get(self.field)

    @property
    def payload_codes(self) -> list[str]:
        payload = self.payload
        if isinstance(payload, dict) and isinstance(payload.get("errors"), list):
            return [e["code"] for e in payload["errors"]]
        return []

    @property
    def refused(self) -> bool:
        return self.status >= 400 or bool(self.top_codes) or bool(self.payload_codes)

    def faults(self) -> list[str]:
        """Why this answer is not an acceptable refusal or success."""
        found = []
        if self.status >= 500:
            found.append(f"HTTP {self.status}")
        text = str(self.body)
        if "Internal server error" in text or TopLevelCode.INTERNAL_SERVER_ERROR.value in text:
            found.append("masked internal error")
        for code in self.top_codes:
            if code not in TOP_LEVEL_CODES:
                found.append(f"top-level code {code!r}")
        for code in self.payload_codes:
            if code not in PAYLOAD_CODES:
                found.append(f"payload code {code!r}")
        return found


def answer(response: httpx.Response, field: str) -> Answer:
    try:
        body = response.json()
    except ValueError:
        body = {"unparsable": response.text[:200]}
    return Answer(response.status_code, body if isinstance(body, dict) else {}, field)


def strings_in(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return {s for item in value.values() for s in strings_in(item)}
    if isinstance(value, list):
        return {s for item in value for s in strings_in(item)}
    return set()
