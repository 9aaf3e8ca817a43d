"""`GET /fhir/Patient/{id}/$everything`: the export as a FHIR R4 Bundle.

The same rules as `exportPatientData` (bearer access token; the patient
themself or an ADMIN); failures answer a FHIR OperationOutcome.
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from prescripcare.auth.bearer import bearer_token
from prescripcare.auth.viewer import viewer_from_token
from prescripcare.db import transaction
from prescripcare.errors import AccessDenied, UserFacingError
from prescripcare.privacy.export import load_record
from prescripcare.privacy.fhir import patient_bundle
from prescripcare.resources import Resources

FHIR_JSON = "application/fhir+json"
EVERYTHING_PATH = "/fhir/Patient/{patient_id}/$everything"


def _outcome(status: int, code: str, message: str) -> Response:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": message}],
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(orjson.dumps(body), status, headers=headers, media_type=FHIR_JSON)


async def patient_everything(request: Request) -> Response:
    resources: Resources = request.app.state.resources
    now = resources.clock.now()
    token = bearer_token(request.headers.get("authorization"))
    viewer = None
    if token is not None:
        async with resources.sessions() as session:
            viewer = await viewer_from_token(session, resources.tokens, token, now)
    if viewer is None:
        return _outcome(401, "login", "A valid access token is required.")
    try:
        async with transaction(resources.sessions) as session:
            record = await load_record(session, viewer, request.path_params["patient_id"], now)
    except AccessDenied as denied:
        return _outcome(403, "forbidden", str(denied))
    except UserFacingError:
        # Not visible and not existing answer alike, as everywhere else.
        return _outcome(404, "not-found", "Patient not found.")
    bundle = patient_bundle(record, now)
    return Response(orjson.dumps(bundle), 200, media_type=FHIR_JSON)
