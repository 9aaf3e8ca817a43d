"""Reminder delivery: the transactional outbox, channels and the send job."""
