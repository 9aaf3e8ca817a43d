"""Patient mutations: create, update, caregivers and care team."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.auth.viewer import Viewer
from prescripcare.graphql.info import Info
from prescripcare.graphql.mutation import in_transaction, keep_unset
from prescripcare.partial import KEEP
from prescripcare.patients import service
from prescripcare.patients.models import Patient, ReminderChannel
from prescripcare.patients.types import (
    CreatePatientInput,
    PatientPayload,
    PatientType,
    UpdatePatientInput,
)


async def _patient_mutation(
    info: Info, work: Callable[[AsyncSession, Viewer], Awaitable[Patient]]
) -> PatientPayload:
    ctx = info.context
    viewer = ctx.require_viewer()

    async def run(session: AsyncSession) -> Patient:
        return await work(session, viewer)

    patient, errors = await in_transaction(ctx, run)
    return PatientPayload(
        patient=PatientType.from_model(patient) if patient else None, errors=errors
    )


def _changes(data: UpdatePatientInput) -> service.PatientChanges:
    quiet = data.quiet_hours
    return service.PatientChanges(
        name=keep_unset(data.name),
        date_of_birth=keep_unset(data.date_of_birth),
        timezone=keep_unset(data.timezone),
        phone=keep_unset(data.phone),
        email=keep_unset(data.email),
        reminder_channels=(
            KEEP
            if data.reminder_channels is strawberry.UNSET
            else [ReminderChannel(c) for c in data.reminder_channels or []]
        ),
        language=keep_unset(data.language),
        quiet_hours=(
            KEEP
            if quiet is strawberry.UNSET
            else service.QuietHours(quiet.start, quiet.end)
            if quiet is not None
            else None
        ),
    )


@strawberry.type
class PatientMutation:
    @strawberry.mutation(description="CLINICIAN (joins the care team) or ADMIN.")
    async def create_patient(self, info: Info, input: CreatePatientInput) -> PatientPayload | None:
        data = service.NewPatient(
            name=input.name,
            date_of_birth=input.date_of_birth,
            timezone=input.timezone,
            phone=input.phone,
            email=input.email,
            reminder_channels=[ReminderChannel(c) for c in input.reminder_channels or []],
            language=input.language,
        )
        now = info.context.now()
        return await _patient_mutation(info, lambda s, v: service.create_patient(s, v, data, now))

    @strawberry.mutation
    async def update_patient(
        self, info: Info, id: strawberry.ID, input: UpdatePatientInput
    ) -> PatientPayload | None:
        changes, now = _changes(input), info.context.now()
        horizon = info.context.resources.settings.dose_horizon
        return await _patient_mutation(
            info, lambda s, v: service.update_patient(s, v, id, changes, now, horizon)
        )

    @strawberry.mutation(
        description="The language the patient's messages and reports are written in (BCP 47; "
        "null: the deployment's default). The patient, a linked caregiver, their care team "
        "or an ADMIN."
    )
    async def set_patient_language(
        self, info: Info, patient_id: strawberry.ID, language: str | None
    ) -> PatientPayload | None:
        now = info.context.now()
        return await _patient_mutation(
            info, lambda s, v: service.set_language(s, v, patient_id, language, now)
        )

    @strawberry.mutation(description="Give a CAREGIVER account access to the patient.")
    async def link_caregiver(
        self, info: Info, patient_id: strawberry.ID, email: str
    ) -> PatientPayload | None:
        now = info.context.now()
        return await _patient_mutation(
            info, lambda s, v: service.link_caregiver(s, v, patient_id, email, now)
        )

    @strawberry.mutation(
        description="Remove a caregiver's access (a caregiver may remove their own)."
    )
    async def unlink_caregiver(
        self, info: Info, patient_id: strawberry.ID, caregiver_id: strawberry.ID
    ) -> PatientPayload | None:
        now = info.context.now()
        return await _patient_mutation(
            info, lambda s, v: service.unlink_caregiver(s, v, patient_id, caregiver_id, now)
        )

    @strawberry.mutation(description="Add a CLINICIAN to the patient's care team.")
    async def add_care_team_member(
        self, info: Info, patient_id: strawberry.ID, email: str
    ) -> PatientPayload | None:
        now = info.context.now()
        return await _patient_mutation(
            info, lambda s, v: service.add_care_team_member(s, v, patient_id, email, now)
        )

    @strawberry.mutation(description="Remove a clinician from the care team, ending their access.")
    async def remove_care_team_member(
        self, info: Info, patient_id: strawberry.ID, user_id: strawberry.ID
    ) -> PatientPayload | None:
        now = info.context.now()
        return await _patient_mutation(
            info, lambda s, v: service.remove_care_team_member(s, v, patient_id, user_id, now)
        )
