"""Imports every table module, so the metadata knows the whole schema."""

from prescripcare.audit.models import AuditChainHead, AuditEntry, BreakGlassGrant
from prescripcare.auth.models import (
    PasswordResetToken,
    RecoveryCode,
    RefreshToken,
    TwoFactor,
    User,
)
from prescripcare.backup.models import BackupRun
from prescripcare.doses.models import Dose, DoseRecord
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
from prescripcare.prescriptions.models import Fill, InteractionOverride, Prescription
from prescripcare.privacy.models import ErasureLedgerEntry
from prescripcare.reminders.consent import ChannelConsent, DeviceToken
from prescripcare.reminders.models import Reminder

__all__ = [
    "AuditChainHead",
    "AuditEntry",
    "BackupRun",
    "BreakGlassGrant",
    "CareTeamMember",
    "CaregiverLink",
    "ChannelConsent",
    "DeviceToken",
    "Dose",
    "DoseRecord",
    "DrugAtcCode",
    "DrugClass",
    "DrugClassMember",
    "DrugConcept",
    "DrugIngredient",
    "DrugInteraction",
    "DrugNdc",
    "DrugRelease",
    "DrugSearchTerm",
    "ErasureLedgerEntry",
    "Fill",
    "InteractionOverride",
    "PasswordResetToken",
    "Patient",
    "Prescription",
    "RecoveryCode",
    "RefreshToken",
    "Reminder",
    "TwoFactor",
    "User",
]
