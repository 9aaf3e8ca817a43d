"""Batch plans of the resolver fields, one module per domain. Importing the
package registers them all."""

from prescripcare.plans.fields import adherence, doses, drugs, patients, prescriptions, users

__all__ = ["adherence", "doses", "drugs", "patients", "prescriptions", "users"]
