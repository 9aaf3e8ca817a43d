"""reminder outbox

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 23:12:34.737247
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("dose_id", sa.UUID(), nullable=True),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_message_id", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('QUEUED', 'SENDING', 'SENT', 'DELIVERED', 'FAILED', 'CANCELLED')",
            name=op.f("ck_reminders_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["dose_id"], ["doses.id"], name=op.f("fk_reminders_dose_id_doses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_reminders_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
    )
    op.create_index(op.f("ix_reminders_dose_id"), "reminders", ["dose_id"], unique=False)
    op.create_index(op.f("ix_reminders_patient_id"), "reminders", ["patient_id"], unique=False)
    op.create_index(
        "ix_reminders_ready",
        "reminders",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('QUEUED', 'SENDING')"),
    )
    op.create_index(
        "uq_reminders_dose_channel_due", "reminders", ["dose_id", "channel", "due_at"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_reminders_dose_channel_due", table_name="reminders")
    op.drop_index(
        "ix_reminders_ready",
        table_name="reminders",
        postgresql_where=sa.text("status IN ('QUEUED', 'SENDING')"),
    )
    op.drop_index(op.f("ix_reminders_patient_id"), table_name="reminders")
    op.drop_index(op.f("ix_reminders_dose_id"), table_name="reminders")
    op.drop_table("reminders")
