"""The patient records one request read, gathered while it runs and written
to the log once at its end (one statement, however many patients)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from prescripcare.audit.models import AuditAction


class ReadLog:
    def __init__(self) -> None:
        self._pending: dict[tuple[uuid.UUID, AuditAction], None] = {}

    def add(self, patient_id: uuid.UUID, action: AuditAction = AuditAction.PATIENT_READ) -> None:
        self._pending[(patient_id, action)] = None

    def add_many(
        self, patient_ids: Iterable[uuid.UUID], action: AuditAction = AuditAction.PATIENT_READ
    ) -> None:
        for patient_id in patient_ids:
            self.add(patient_id, action)

    def drain(self) -> list[tuple[uuid.UUID, AuditAction]]:
        """What was read since the last drain, each (patient, action) once."""
        pending = list(self._pending)
        self._pending.clear()
        return pending
