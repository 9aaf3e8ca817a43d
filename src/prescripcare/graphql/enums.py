"""The business layer's enums, exposed to GraphQL under the contract's names."""

from __future__ import annotations

import strawberry

from prescripcare.auth.models import Role
from prescripcare.patients.models import ReminderChannel

RoleEnum = strawberry.enum(Role, name="Role")
ReminderChannelEnum = strawberry.enum(ReminderChannel, name="ReminderChannel")
