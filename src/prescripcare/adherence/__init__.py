"""Adherence: dose adherence from the dose log, PDC and MPR from fills."""
