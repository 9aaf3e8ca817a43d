"""Imports every table module, so the metadata knows the whole schema."""

from prescripcare.auth.models import RefreshToken, User
from prescripcare.patients.models import CaregiverLink, CareTeamMember, Patient

__all__ = ["CareTeamMember", "CaregiverLink", "Patient", "RefreshToken", "User"]
