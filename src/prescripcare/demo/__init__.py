"""The demo clinic of `prescripcare seed --demo` and `prescripcare dev`."""

from typing import TYPE_CHECKING, Any

from prescripcare.demo.accounts import ADMIN, CAREGIVER, CLINICIAN, LOGINS, PATIENT, DemoLogin

if TYPE_CHECKING:
    from prescripcare.demo.seed import DemoRefused, seed_demo


def __getattr__(name: str) -> Any:
    # The seed (and what it imports) loads when used: GraphiQL's page needs
    # only the demo logins, and a warm `prescripcare dev` seeds nothing.
    if name in ("DemoRefused", "seed_demo"):
        from prescripcare.demo import seed

        return getattr(seed, name)
    raise AttributeError(name)


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
