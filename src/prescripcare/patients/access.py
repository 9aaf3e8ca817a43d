"""Which patients a viewer may see, as a SQL predicate.

Every read of patient data filters with this clause in SQL (authorization at
the data edge), so a patient the viewer may not see is indistinguishable from
one that does not exist.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select, true
from sqlmodel import col

from prescripcare.audit.models import BreakGlassGrant
from prescripcare.auth.models import Role
from prescripcare.auth.viewer import Viewer
from prescripcare.patients.models import CaregiverLink, CareTeamMember, Patient


def visible_patients(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.role is Role.ADMIN:
        return true()
    if viewer.role is Role.PATIENT:
        return col(Patient.user_id) == viewer.user_id
    if viewer.role is Role.CAREGIVER:
        linked = select(col(CaregiverLink.patient_id)).where(
            col(CaregiverLink.caregiver_id) == viewer.user_id
        )
        return col(Patient.id).in_(linked)
    # A clinician sees the patients whose care team they are on; creating a
    # patient puts its clinician on the team, so removal revokes access.
    on_team = select(col(CareTeamMember.patient_id)).where(
        col(CareTeamMember.user_id) == viewer.user_id
    )
    if viewer.at is None:
        return col(Patient.id).in_(on_team)
    # Break-glass: a stated reason opens one patient until the grant expires.
    granted = select(col(BreakGlassGrant.patient_id)).where(
        col(BreakGlassGrant.clinician_id) == viewer.user_id,
        col(BreakGlassGrant.expires_at) > viewer.at,
    )
    return or_(col(Patient.id).in_(on_team), col(Patient.id).in_(granted))
