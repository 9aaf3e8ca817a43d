"""Batch plans of the resolver fields, one module per domain. Importing the
package registers them all."""

from prescripcare.plans.fields import doses, drugs, patients, prescriptions, users

__all__ = ["doses", "drugs", "patients", "prescriptions", "users"]
