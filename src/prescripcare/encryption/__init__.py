"""Field-level encryption of direct identifiers (see docs/encryption.md)."""
