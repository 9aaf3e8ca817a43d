"""refill reminders

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 23:54:34.687297
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reminders", sa.Column("fill_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_reminders_fill_id_fills"),
        "reminders",
        "fills",
        ["fill_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index(
        "uq_reminders_fill_channel",
        "reminders",
        ["fill_id", "channel"],
        unique=True,
        postgresql_where=sa.text("fill_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_reminders_fill_channel", table_name="reminders")
    op.drop_constraint(op.f("fk_reminders_fill_id_fills"), "reminders", type_="foreignkey")
    op.drop_column("reminders", "fill_id")
