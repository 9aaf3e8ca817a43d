"""drug search priors: the shipped national prescribing ranking and each
concept's derived prior

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 08:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drug_prescribing_ranks",
        sa.Column("rxcui", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("source_version", sa.String(length=100), nullable=False),
        sa.Column("licence", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rank >= 1", name=op.f("ck_drug_prescribing_ranks_rank_positive")),
        sa.ForeignKeyConstraint(
            ["rxcui"],
            ["drug_concepts.rxcui"],
            name=op.f("fk_drug_prescribing_ranks_rxcui_drug_concepts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rxcui", name=op.f("pk_drug_prescribing_ranks")),
    )
    op.create_table(
        "drug_search_priors",
        sa.Column("rxcui", sa.String(length=16), nullable=False),
        sa.Column("prior", sa.Float(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rxcui"],
            ["drug_concepts.rxcui"],
            name=op.f("fk_drug_search_priors_rxcui_drug_concepts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rxcui", name=op.f("pk_drug_search_priors")),
    )


def downgrade() -> None:
    op.drop_table("drug_search_priors")
    op.drop_table("drug_prescribing_ranks")
