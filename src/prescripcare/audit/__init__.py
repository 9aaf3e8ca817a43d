"""The audit trail: who read or wrote which patient's record, and break-glass."""
