"""Imports every table module, so the metadata knows the whole schema."""

from prescripcare.auth.models import RefreshToken, User
from prescripcare.drugs.models import (
    DrugAtcCode,
    DrugClass,
    DrugClassMember,
    DrugConcept,
    DrugIngredient,
    DrugInteraction,
    DrugNdc,
    DrugRelease,
    DrugSearchTerm,
)
from prescripcare.patients.models import CaregiverLink, CareTeamMember, Patient

__all__ = [
    "CareTeamMember",
    "CaregiverLink",
    "DrugAtcCode",
    "DrugClass",
    "DrugClassMember",
    "DrugConcept",
    "DrugIngredient",
    "DrugInteraction",
    "DrugNdc",
    "DrugRelease",
    "DrugSearchTerm",
    "Patient",
    "RefreshToken",
    "User",
]
