"""push device tokens

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 23:59:06.235469
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_tokens",
        sa.Column("token", sa.String(length=4096), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("registered_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_device_tokens_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registered_by"],
            ["users.id"],
            name=op.f("fk_device_tokens_registered_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_device_tokens")),
    )
    op.create_index(
        op.f("ix_device_tokens_patient_id"), "device_tokens", ["patient_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_device_tokens_patient_id"), table_name="device_tokens")
    op.drop_table("device_tokens")
