"""`GET /reports/patients/{id}/adherence.pdf?from=&to=&language=`.

Exactly the visibility of the patient record: the patient, their
caregivers, their care team, an ADMIN (or a clinician under break-glass);
anyone else gets 404 NOT_FOUND, as for a patient that does not exist. The
caller shows a bearer access token, or a signed link made by the GraphQL
mutation `adherenceReportLink` (`?link=`). Each download is an audit-log read.
Errors answer JSON `{"error": {"code", "field", "message"}}`.
"""

from __future__ import annotations

from datetime import date

import orjson
from starlette.requests import Request
from starlette.responses import Response

from prescripcare.auth.bearer import bearer_token
from prescripcare.auth.viewer import Viewer, load_viewer, viewer_from_token
from prescripcare.db import reading, transaction
from prescripcare.errors import ErrorCode, UserFacingError
from prescripcare.graphql.context import Loaders
from prescripcare.reports.links import InvalidLink, LinkCodec
from prescripcare.reports.service import (
    PDF,
    build,
    record_read,
    report_language,
    report_window,
    visible_patient,
)
from prescripcare.resources import Resources

REPORT_PATH = "/reports/patients/{patient_id}/adherence.pdf"


def _error(status: int, code: str, message: str, field: str | None = None) -> Response:
    body = {"error": {"code": code, "field": field, "message": message}}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(orjson.dumps(body), status, headers=headers, media_type="application/json")


def _date(request: Request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise UserFacingError.single(
            ErrorCode.INVALID, f"`{name}` must be a date such as 2026-09-01.", name
        ) from None


async def adherence_report(request: Request) -> Response:
    resources: Resources = request.app.state.resources
    now = resources.clock.now()
    patient_id = request.path_params["patient_id"]
    links = LinkCodec(resources.settings.signing_secret, resources.settings.report_link)
    viewer: Viewer | None = None
    link = None
    async with reading(resources.sessions) as session:
        if "link" in request.query_params:
            try:
                link = links.verify(request.query_params["link"], now)
            except InvalidLink:
                return _error(401, "UNAUTHENTICATED", "This report link expired or is not valid.")
            if str(link.patient_id) == patient_id:
                viewer = await load_viewer(session, link.user_id, link.family_id, now)
        else:
            token = bearer_token(request.headers.get("authorization"))
            if token is not None:
                viewer = await viewer_from_token(session, resources.tokens, token, now)
        if viewer is None:
            return _error(401, "UNAUTHENTICATED", "A valid access token is required.")
        try:
            patient = await visible_patient(session, viewer, patient_id)
            if link is not None:
                first, last, language = link.first, link.last, link.language
            else:
                first, last = report_window(
                    _date(request, "from"), _date(request, "to"), patient.timezone, now
                )
                language = report_language(
                    request.query_params.get("language"),
                    patient,
                    resources.settings.default_language,
                )
        except UserFacingError as refused:
            problem = refused.problems[0]
            status = 404 if problem.code is ErrorCode.NOT_FOUND else 400
            return _error(status, problem.code.value, problem.message, problem.field)
    loaders = Loaders.for_viewer(resources, viewer)
    report = await build(resources, loaders, viewer, patient, first, last, language, now)
    async with transaction(resources.sessions) as session:
        await record_read(session, viewer, report, now)
    return Response(
        report.pdf,
        200,
        media_type=PDF,
        headers={
            "Content-Disposition": f'inline; filename="{report.filename}"',
            # Health information: never kept by a browser or proxy cache.
            "Cache-Control": "no-store",
        },
    )
