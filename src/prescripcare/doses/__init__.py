"""Concrete doses in the patient's time zone, and the dose log."""
