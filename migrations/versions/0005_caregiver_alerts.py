"""caregiver alerts in the reminder outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 23:24:23.247323
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "reminders",
        sa.Column(
            "recipient", sa.String(length=40), server_default=sa.text("'patient'"), nullable=False
        ),
    )
    op.drop_index(op.f("uq_reminders_dose_channel_due"), table_name="reminders")
    op.create_index(
        "uq_reminders_dose_channel_due_recipient",
        "reminders",
        ["dose_id", "channel", "due_at", "recipient"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_reminders_dose_channel_due_recipient", table_name="reminders")
    op.create_index(
        op.f("uq_reminders_dose_channel_due"),
        "reminders",
        ["dose_id", "channel", "due_at"],
        unique=True,
    )
    op.drop_column("reminders", "recipient")
