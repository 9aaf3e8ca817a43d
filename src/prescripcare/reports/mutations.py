"""The adherence report in GraphQL: a short-lived link for a browser, and
the patient's own sharing by e-mail."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlencode

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.auth.mail import OutgoingMail
from prescripcare.auth.models import Role
from prescripcare.auth.security_types import OkPayload
from prescripcare.graphql.errors import UserError
from prescripcare.graphql.info import Info
from prescripcare.graphql.mutation import in_transaction
from prescripcare.i18n.translator import speak
from prescripcare.reports.links import LinkCodec, ReportLink
from prescripcare.reports.routes import REPORT_PATH
from prescripcare.reports.service import (
    build,
    recipient_with_access,
    record_sent,
    report_language,
    report_mail,
    report_window,
    visible_patient,
)

FromDate = Annotated[
    date | None,
    strawberry.argument(name="from", description="First local date; default: 90 days ago."),
]


@strawberry.type
class AdherenceReportLinkPayload:
    url: str | None = strawberry.field(
        default=None, description="Opens the PDF without a bearer header, until expiresAt."
    )
    expires_at: datetime | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReportMutation:
    @strawberry.mutation(
        description="A signed link to the adherence report PDF (GET "
        "/reports/patients/{id}/adherence.pdf) for apps that open it in a browser. Whoever "
        "may see the patient; it works for REPORT_LINK_MINUTES and ends with the login."
    )
    async def adherence_report_link(
        self,
        info: Info,
        patient_id: strawberry.ID,
        from_: FromDate = None,
        to: date | None = None,
        language: str | None = None,
    ) -> AdherenceReportLinkPayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()
        settings = ctx.resources.settings
        now = ctx.now()

        async def work(session: AsyncSession) -> ReportLink:
            patient = await visible_patient(session, viewer, patient_id)
            first, last = report_window(from_, to, patient.timezone, now)
            tag = report_language(language, patient, settings.default_language)
            assert viewer.family_id is not None, "a signed-in viewer has a login"
            return ReportLink(
                viewer.user_id,
                viewer.family_id,
                patient.id,
                first,
                last,
                tag,
                now + settings.report_link,
            )

        link, errors = await in_transaction(ctx, work)
        if link is None:
            return AdherenceReportLinkPayload(errors=errors)
        token = LinkCodec(settings.signing_secret, settings.report_link).sign(link)
        base = settings.public_base_url or str(ctx.request.base_url)
        path = REPORT_PATH.format(patient_id=link.patient_id)
        url = f"{base.rstrip('/')}{path}?{urlencode({'link': token})}"
        return AdherenceReportLinkPayload(url=url, expires_at=link.expires_at)

    @strawberry.mutation(
        description="PATIENT: e-mail your adherence report (PDF attached) to a caregiver or "
        "clinician who already has access to your record (NOT_FOUND on recipientId "
        "otherwise). Recorded in the audit log."
    )
    async def send_adherence_report(
        self,
        info: Info,
        patient_id: strawberry.ID,
        recipient_id: strawberry.ID,
        from_: FromDate = None,
        to: date | None = None,
    ) -> OkPayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()
        viewer.require_role(Role.PATIENT)  # sharing is the patient's own decision
        resources = ctx.resources
        now = ctx.now()

        async def work(session: AsyncSession) -> OutgoingMail:
            patient = await visible_patient(session, viewer, patient_id)
            recipient = await recipient_with_access(session, patient, str(recipient_id))
            first, last = report_window(from_, to, patient.timezone, now)
            tag = report_language(None, patient, resources.settings.default_language)
            report = await build(resources, ctx.loaders, viewer, patient, first, last, tag, now)
            await record_sent(session, viewer, report, recipient, now)
            return report_mail(recipient.email, report, speak(tag, patient.timezone))

        mail, errors = await in_transaction(ctx, work)
        if mail is not None:
            resources.auth.notices.mail.send_later(mail)  # after the commit
        return OkPayload(ok=not errors, errors=errors)
