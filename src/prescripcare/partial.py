"""The one idiom for partial updates.

A `*Changes` dataclass (`patients/service.py` `PatientChanges`,
`prescriptions/changes.py` `PrescriptionChanges`) defaults every field to
`KEEP`: the client did not send it, so it stays as it is. `None` means the
client sent null: clear the field, or refuse where it cannot be cleared. Any
other value is set. A service tests `isinstance(value, Keep)`, which narrows
the type; the GraphQL layer turns an unsent input field into `KEEP`
(`graphql/mutation.py` `keep_unset`).
"""

from __future__ import annotations

from typing import Final


class Keep:
    """Marks an update field the client did not send (distinct from null)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = Keep()
