"""PrescripCare: the medication-management GraphQL backend."""

__version__ = "0.1.0"
