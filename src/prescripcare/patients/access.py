"""Which patients a viewer may see, as a SQL predicate.

Every read of patient data filters with this clause in SQL (authorization at
the data edge), so a patient the viewer may not see is indistinguishable from
one that does not exist.

The viewer enters the clause as two named bind parameters, `viewer_id` and
`viewer_at`: the loaders bind this viewer's values, and the planner compiles
the same clause once per shape (role, break-glass or not) and binds each
request's values at execution (`plans/statements.py`). One predicate, two
ways of running it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Uuid, bindparam, or_, select, true
from sqlmodel import col

from prescripcare.audit.models import BreakGlassGrant
from prescripcare.auth.models import Role
from prescripcare.auth.viewer import Viewer
from prescripcare.patients.models import CaregiverLink, CareTeamMember, Patient

VIEWER_ID = "viewer_id"
VIEWER_AT = "viewer_at"


def visible_patients(viewer: Viewer) -> ColumnElement[bool]:
    return visibility(viewer, bound=True)


def visibility_params(viewer: Viewer) -> dict[str, Any]:
    """The values of the clause's parameters for this viewer."""
    return {VIEWER_ID: viewer.user_id, VIEWER_AT: viewer.at}


def visibility_shape(viewer: Viewer) -> tuple[Role, bool]:
    """What decides the clause's SQL text: viewers of one shape share it."""
    return viewer.role, viewer.at is not None


def visibility(viewer: Viewer, *, bound: bool) -> ColumnElement[bool]:
    """The clause; `bound` carries this viewer's values, otherwise they are
    left for execution time (see `visibility_params`)."""
    user_id = bindparam(VIEWER_ID, viewer.user_id if bound else None, type_=Uuid())
    if viewer.role is Role.ADMIN:
        return true()
    if viewer.role is Role.PATIENT:
        return col(Patient.user_id) == user_id
    if viewer.role is Role.CAREGIVER:
        linked = select(col(CaregiverLink.patient_id)).where(
            col(CaregiverLink.caregiver_id) == user_id
        )
        return col(Patient.id).in_(linked)
    # A clinician sees the patients whose care team they are on; creating a
    # patient puts its clinician on the team, so removal revokes access.
    on_team = select(col(CareTeamMember.patient_id)).where(col(CareTeamMember.user_id) == user_id)
    if viewer.at is None:
        return col(Patient.id).in_(on_team)
    # Break-glass: a stated reason opens one patient until the grant expires.
    at: datetime | None = viewer.at if bound else None
    granted = select(col(BreakGlassGrant.patient_id)).where(
        col(BreakGlassGrant.clinician_id) == user_id,
        col(BreakGlassGrant.expires_at) > bindparam(VIEWER_AT, at, type_=DateTime(timezone=True)),
    )
    return or_(col(Patient.id).in_(on_team), col(Patient.id).in_(granted))
