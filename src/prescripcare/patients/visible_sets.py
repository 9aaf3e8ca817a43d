"""The patients each viewer with an open socket may see, as one set per
viewer shared by the process.

A live subscription must decide, for every event of every patient, whether
its viewer may hear of it. Asking the database per (socket, patient) costs a
query per socket for each patient it has not met (a clinic's dashboard wall
of 80 sockets asked 80 times; 10,000 sockets of other clinics asked 10,000
times to learn "no"). Here one statement per viewer loads the whole set with
the same SQL filter as every other read (patients/access.py), every socket of
that viewer shares it, and the event reader can drop events nobody may see
without waking anyone (realtime/hub.py's `wants`).

Access that changes takes effect within RECHECK: a set older than that is
loaded again before it decides anything. A subscription that opens loads
its viewer's set afresh (a just-granted break-glass access is heard at once).
A viewer who may see more than WIDE patients (an administrator) is decided
patient by patient with the same filter, as before, rather than held in
memory.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from prescripcare.auth.models import Role
from prescripcare.auth.viewer import Viewer
from prescripcare.clock import Clock
from prescripcare.db import SessionFactory
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import Patient

# How stale a decision may be: access that ends (a clinician leaves the care
# team, a caregiver is unlinked, a break-glass grant expires, a patient is
# erased) or begins reaches open sockets within this long.
RECHECK = timedelta(seconds=30)
AHEAD = timedelta(seconds=10)
# More patients than this are not held in memory for one viewer.
WIDE = 20_000

_Key = tuple[uuid.UUID, Role]


@dataclass(frozen=True, slots=True)
class _Loaded:
    at: datetime
    ids: frozenset[uuid.UUID]
    wide: bool


class VisibleSets:
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._loaded: dict[_Key, _Loaded] = {}
        self._loading: dict[_Key, asyncio.Task[_Loaded]] = {}

    def may_see(self, viewer: Viewer, patient_id: uuid.UUID) -> bool | None:
        """The answer without a query, or None when only a query can tell
        (no set yet, a stale one, or a wide viewer)."""
        loaded = self._loaded.get((viewer.user_id, viewer.role))
        if loaded is None or loaded.wide:
            return None
        age = self._clock.now() - loaded.at
        if age >= RECHECK:
            return None
        if age >= RECHECK - AHEAD and (viewer.user_id, viewer.role) not in self._loading:
            # Loaded again in the background while this one still answers, so
            # an active viewer's set is never stale and never waits.
            self._start(viewer)
        return patient_id in loaded.ids

    async def allows(self, viewer: Viewer, patient_id: uuid.UUID) -> bool:
        known = self.may_see(viewer, patient_id)
        if known is not None:
            return known
        loaded = await self._load(viewer)
        if loaded.wide:
            return await self._one(viewer, patient_id)
        return patient_id in loaded.ids

    async def refresh(self, viewer: Viewer, within: timedelta) -> None:
        """Loads the viewer's set again unless it was loaded within `within`
        (a subscription opening; a burst of them shares one load)."""
        loaded = self._loaded.get((viewer.user_id, viewer.role))
        if loaded is None or self._clock.now() - loaded.at >= within:
            self._loaded.pop((viewer.user_id, viewer.role), None)
            await self._load(viewer)

    async def _load(self, viewer: Viewer) -> _Loaded:
        # One load per viewer at a time, whichever socket asked first.
        task = self._loading.get((viewer.user_id, viewer.role)) or self._start(viewer)
        return await asyncio.shield(task)

    def _start(self, viewer: Viewer) -> asyncio.Task[_Loaded]:
        key = (viewer.user_id, viewer.role)

        async def load() -> _Loaded:
            try:
                loaded = await self._query(viewer)
                self._loaded[key] = loaded
                self._forget_idle()
                return loaded
            finally:
                self._loading.pop(key, None)

        task = asyncio.create_task(load())
        self._loading[key] = task
        return task

    async def _query(self, viewer: Viewer) -> _Loaded:
        now = self._clock.now()
        # Grants are judged at this moment, not when the socket opened.
        at_now = replace(viewer, at=now)
        async with self._sessions() as session:
            rows = await session.scalars(
                select(col(Patient.id)).where(visible_patients(at_now)).limit(WIDE + 1)
            )
            ids = frozenset(rows)
        if len(ids) > WIDE:
            return _Loaded(now, frozenset(), wide=True)
        return _Loaded(now, ids, wide=False)

    async def _one(self, viewer: Viewer, patient_id: uuid.UUID) -> bool:
        at_now = replace(viewer, at=self._clock.now())
        async with self._sessions() as session:
            found = await session.scalar(
                select(col(Patient.id)).where(
                    col(Patient.id) == patient_id, visible_patients(at_now)
                )
            )
        return found is not None

    def _forget_idle(self) -> None:
        """Sets nobody has needed for a while (their sockets closed) go."""
        oldest = self._clock.now() - 4 * RECHECK
        for key in [k for k, v in self._loaded.items() if v.at < oldest]:
            del self._loaded[key]
