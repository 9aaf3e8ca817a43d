"""next dose indexes

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-29 01:05:00

A patient's or a prescription's next dose is the first SCHEDULED dose in
time. Without these the look-up read every scheduled dose of the whole
horizon (ix_doses_due, 200,000 rows for a 2,000-patient clinic) to keep fifty.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_doses_patient_next",
        "doses",
        ["patient_id", "scheduled_at"],
        postgresql_where=sa.text("status = 'SCHEDULED'"),
    )
    op.create_index(
        "ix_doses_prescription_next",
        "doses",
        ["prescription_id", "scheduled_at"],
        postgresql_where=sa.text("status = 'SCHEDULED'"),
    )


def downgrade() -> None:
    op.drop_index("ix_doses_prescription_next", table_name="doses")
    op.drop_index("ix_doses_patient_next", table_name="doses")
