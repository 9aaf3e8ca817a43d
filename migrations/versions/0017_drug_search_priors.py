"""drug search priors: the shipped national prescribing ranking and each
concept's derived prior; product names apart from the names people type

Product names ("... mg oral tablet") share trigrams with every query: they
become kind 'product', found through a btree prefix index, and the trigram
index covers the other names only.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 08:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
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

    op.execute(
        "UPDATE drug_search_terms AS t SET kind = 'product' FROM drug_concepts AS c "
        "WHERE c.rxcui = t.rxcui AND c.tty IN ('SCD', 'SBD', 'GPCK', 'BPCK') "
        "AND t.kind <> 'product'"
    )
    op.drop_index("ix_drug_search_terms_term_trgm", table_name="drug_search_terms")
    op.create_index(
        "ix_drug_search_terms_term_prefix",
        "drug_search_terms",
        ["term"],
        postgresql_ops={"term": "text_pattern_ops"},
    )
    op.create_index(
        "ix_drug_search_terms_name_trgm",
        "drug_search_terms",
        ["term"],
        postgresql_using="gin",
        postgresql_ops={"term": "gin_trgm_ops"},
        postgresql_where=sa.text("kind <> 'product'"),
    )


def downgrade() -> None:
    op.drop_index("ix_drug_search_terms_name_trgm", table_name="drug_search_terms")
    op.drop_index("ix_drug_search_terms_term_prefix", table_name="drug_search_terms")
    op.create_index(
        "ix_drug_search_terms_term_trgm",
        "drug_search_terms",
        ["term"],
        postgresql_using="gin",
        postgresql_ops={"term": "gin_trgm_ops"},
    )
    op.execute("UPDATE drug_search_terms SET kind = 'name' WHERE kind = 'product'")
    op.drop_table("drug_search_priors")
    op.drop_table("drug_prescribing_ranks")
