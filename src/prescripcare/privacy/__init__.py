"""The patient's rights of access, portability and erasure (GDPR arts. 15, 17, 20)."""
