"""patient language

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 08:30:00

The language a patient reads (BCP 47). Null follows the deployment's
DEFAULT_LANGUAGE, so existing patients need no backfill and a deployment
that changes its default moves every patient who never chose.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("patients", sa.Column("language", sa.String(length=35), nullable=True))


def downgrade() -> None:
    op.drop_column("patients", "language")
