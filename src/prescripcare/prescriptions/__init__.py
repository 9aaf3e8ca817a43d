"""Prescriptions, their schedules, the interaction gate and fills."""
