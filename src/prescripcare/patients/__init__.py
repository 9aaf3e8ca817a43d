"""Patients, their caregivers and care teams, and who may see whom."""
