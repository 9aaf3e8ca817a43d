"""The typed per-request context: resources, viewer and one loader set."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from prescripcare.adherence.loaders import (
    DoseDaysByPatientLoader,
    DoseDaysByPrescriptionLoader,
    FillsByPatientLoader,
)
from prescripcare.audit.reads import ReadLog
from prescripcare.auth.bearer import bearer_token
from prescripcare.auth.loaders import UserByIdLoader
from prescripcare.auth.viewer import Viewer, viewer_from_token
from prescripcare.db import SessionFactory, reading, transaction
from prescripcare.doses.loaders import (
    DoseByIdLoader,
    DosesByPatientWindowLoader,
    NextDoseByPatientLoader,
    NextDoseByPrescriptionLoader,
)
from prescripcare.drugs.loaders import DrugLoaders
from prescripcare.errors import NotAuthenticated
from prescripcare.patients.loaders import (
    CaregiversByPatientIdLoader,
    CareTeamByPatientIdLoader,
    PatientByIdLoader,
    PatientByUserIdLoader,
)
from prescripcare.prescriptions.loaders import (
    FillsByPrescriptionLoader,
    PrescriptionByIdLoader,
    PrescriptionsByPatientLoader,
)
from prescripcare.reminders.loaders import RemindersByDoseLoader
from prescripcare.resources import Resources


@dataclass
class Loaders:
    user_by_id: UserByIdLoader
    patient_by_id: PatientByIdLoader
    patient_by_user_id: PatientByUserIdLoader
    caregivers_by_patient_id: CaregiversByPatientIdLoader
    care_team_by_patient_id: CareTeamByPatientIdLoader
    drugs: DrugLoaders
    prescription_by_id: PrescriptionByIdLoader
    prescriptions_by_patient: PrescriptionsByPatientLoader
    fills_by_prescription: FillsByPrescriptionLoader
    next_dose_by_prescription: NextDoseByPrescriptionLoader
    next_dose_by_patient: NextDoseByPatientLoader
    doses_by_patient_window: DosesByPatientWindowLoader
    dose_days_by_patient: DoseDaysByPatientLoader
    dose_days_by_prescription: DoseDaysByPrescriptionLoader
    fills_by_patient: FillsByPatientLoader
    reminders_by_dose: RemindersByDoseLoader
    dose_by_id: DoseByIdLoader

    @classmethod
    def for_viewer(
        cls,
        resources: Resources,
        viewer: Viewer | None,
        reads: ReadLog | None = None,
        *,
        read_only: bool = False,
        sessions: SessionFactory | None = None,
    ) -> Loaders:
        """`sessions` overrides where batches read (the planner shares one
        connection among an operation's batches)."""
        if sessions is None:
            sessions = resources.sessions
            if read_only and resources.read_sessions is not None:
                sessions = resources.read_sessions
        now = resources.clock.now()
        on_time = timedelta(minutes=resources.settings.on_time_minutes)
        return cls(
            user_by_id=UserByIdLoader(sessions, viewer),
            patient_by_id=PatientByIdLoader(sessions, viewer, reads),
            patient_by_user_id=PatientByUserIdLoader(sessions, viewer, reads),
            caregivers_by_patient_id=CaregiversByPatientIdLoader(sessions, viewer),
            care_team_by_patient_id=CareTeamByPatientIdLoader(sessions, viewer),
            drugs=DrugLoaders.create(sessions),
            prescription_by_id=PrescriptionByIdLoader(sessions, viewer),
            prescriptions_by_patient=PrescriptionsByPatientLoader(sessions, viewer),
            fills_by_prescription=FillsByPrescriptionLoader(sessions, viewer),
            next_dose_by_prescription=NextDoseByPrescriptionLoader(sessions, viewer, now),
            next_dose_by_patient=NextDoseByPatientLoader(sessions, viewer, now),
            doses_by_patient_window=DosesByPatientWindowLoader(sessions, viewer),
            dose_days_by_patient=DoseDaysByPatientLoader(sessions, viewer, now, on_time),
            dose_days_by_prescription=DoseDaysByPrescriptionLoader(sessions, viewer, now, on_time),
            fills_by_patient=FillsByPatientLoader(sessions, viewer),
            reminders_by_dose=RemindersByDoseLoader(sessions, viewer),
            dose_by_id=DoseByIdLoader(sessions, viewer),
        )


@dataclass
class Context:
    resources: Resources
    request: Request | WebSocket
    response: Response | None
    viewer: Viewer | None
    loaders: Loaders
    # Why a token was refused, to say so instead of a bare UNAUTHENTICATED.
    auth_problem: str | None = None
    # The graphql-transport-ws connection_init payload, for subscriptions.
    connection_params: dict[str, object] | None = None
    extras: dict[str, object] = field(default_factory=dict)
    # Patient records read during this operation, for the audit log.
    reads: ReadLog = field(default_factory=ReadLog)
    # When the operation arrived (Unix ms, wall clock): a subscription
    # without `after` starts there, not when its checks have finished.
    received_ms: int | None = None

    def now(self) -> datetime:
        return self.resources.clock.now()

    def require_viewer(self) -> Viewer:
        if self.viewer is None:
            raise NotAuthenticated(self.auth_problem or "Authentication required.")
        return self.viewer

    def act_as(self, viewer: Viewer) -> None:
        """After register or login the rest of the response is the new
        user's to see (their own patient record, say)."""
        self.viewer = viewer
        self.loaders = Loaders.for_viewer(self.resources, viewer, self.reads)

    @property
    def read_sessions(self) -> SessionFactory:
        """For Query root fields (only ever run in query operations): the
        read replica when DATABASE_READ_URL is set, else the primary."""
        return self.resources.read_sessions or self.resources.sessions

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with transaction(self.resources.sessions) as session:
            yield session


INVALID_TOKEN = "The access token is invalid or expired; refresh it or log in again."


async def authenticate(resources: Resources, token: str) -> Viewer | None:
    """The viewer for a bearer token at this moment, or None: expired, logged
    out (or every login ended by a password or two-factor reset), account
    disabled or erased. One SQL statement. HTTP requests call it once each,
    a socket before each of its operations and on a timer while they run."""
    async with reading(resources.sessions) as session:
        return await viewer_from_token(session, resources.tokens, token, resources.clock.now())


def context_for(
    resources: Resources,
    request: Request | WebSocket,
    response: Response | None,
    viewer: Viewer | None,
    *,
    auth_problem: str | None = None,
    connection_params: dict[str, object] | None = None,
) -> Context:
    """A context of its own for one operation: fresh loaders (no cached row
    outlives the operation that read it) and its own read log."""
    reads = ReadLog()
    return Context(
        resources=resources,
        request=request,
        response=response,
        viewer=viewer,
        loaders=Loaders.for_viewer(resources, viewer, reads),
        auth_problem=auth_problem,
        connection_params=connection_params,
        reads=reads,
    )


async def build_context(
    resources: Resources,
    request: Request | WebSocket,
    response: Response | None,
    authorization: str | None,
) -> Context:
    viewer: Viewer | None = None
    problem: str | None = None
    if authorization:
        token = bearer_token(authorization)
        if token is not None:
            viewer = await authenticate(resources, token)
        if viewer is None:
            problem = INVALID_TOKEN
    return context_for(resources, request, response, viewer, auth_problem=problem)
