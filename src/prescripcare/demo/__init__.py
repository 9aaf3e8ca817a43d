"""The demo clinic of `prescripcare seed --demo` and `prescripcare dev`."""

from prescripcare.demo.accounts import ADMIN, CAREGIVER, CLINICIAN, LOGINS, PATIENT, DemoLogin
from prescripcare.demo.seed import DemoRefused, seed_demo

__all__ = [
    "ADMIN",
    "CAREGIVER",
    "CLINICIAN",
    "LOGINS",
    "PATIENT",
    "DemoLogin",
    "DemoRefused",
    "seed_demo",
]
