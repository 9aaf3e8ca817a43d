"""drug catalog, classes, interactions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 22:12:37.685243
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drug_classes",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("source_version", sa.String(length=100), nullable=False),
        sa.Column("licence", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("atc_prefix", sa.String(length=7), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drug_classes")),
    )
    op.create_table(
        "drug_concepts",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("source_version", sa.String(length=100), nullable=False),
        sa.Column("licence", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rxcui", sa.String(length=16), nullable=False),
        sa.Column("tty", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=3000), nullable=False),
        sa.Column("strength", sa.String(length=300), nullable=True),
        sa.CheckConstraint(
            "tty IN ('IN', 'PIN', 'MIN', 'BN', 'SCD', 'SBD', 'GPCK', 'BPCK')",
            name=op.f("ck_drug_concepts_tty_known"),
        ),
        sa.PrimaryKeyConstraint("rxcui", name=op.f("pk_drug_concepts")),
    )
    op.create_table(
        "drug_interactions",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("source_version", sa.String(length=100), nullable=False),
        sa.Column("licence", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("a_kind", sa.String(length=16), nullable=False),
        sa.Column("a_ref", sa.String(length=100), nullable=False),
        sa.Column("b_kind", sa.String(length=16), nullable=False),
        sa.Column("b_ref", sa.String(length=100), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("clinically_reviewed", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "a_kind IN ('ingredient', 'class') AND b_kind IN ('ingredient', 'class')",
            name=op.f("ck_drug_interactions_end_kinds"),
        ),
        sa.CheckConstraint(
            "severity IN ('CONTRAINDICATED', 'MAJOR', 'MODERATE', 'MINOR')",
            name=op.f("ck_drug_interactions_severity_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drug_interactions")),
    )
    op.create_index(
        "ix_drug_interactions_b", "drug_interactions", ["b_kind", "b_ref"], unique=False
    )
    op.create_index(
        "uq_drug_interactions_pair_source",
        "drug_interactions",
        ["a_kind", "a_ref", "b_kind", "b_ref", "source"],
        unique=True,
    )
    op.create_table(
        "drug_releases",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("concepts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source", "version", name=op.f("pk_drug_releases")),
    )
    op.create_table(
        "drug_atc_codes",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("source_version", sa.String(length=100), nullable=False),
        sa.Column("licence", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rxcui", sa.String(length=16), nullable=False),
        sa.Column("atc_code", sa.String(length=7), nullable=False),
        sa.CheckConstraint(
            "atc_code ~ '^[A-Z][0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?$'",
            name=op.f("ck_drug_atc_codes_atc_format"),
        ),
        sa.ForeignKeyConstraint(
            ["rxcui"],
            ["drug_concepts.rxcui"],
            name=op.f("fk_drug_atc_codes_rxcui_drug_concepts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rxcui", "atc_code", name=op.f("pk_drug_atc_codes")),
    )
    op.create_index(
        op.f("ix_drug_atc_codes_atc_code"), "drug_atc_codes", ["atc_code"], unique=False
    )
    op.create_table(
        "drug_class_members",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("source_version", sa.String(length=100), nullable=False),
        sa.Column("licence", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("class_id", sa.String(length=100), nullable=False),
        sa.Column("rxcui", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["drug_classes.id"],
            name=op.f("fk_drug_class_members_class_id_drug_classes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rxcui"],
            ["drug_concepts.rxcui"],
            name=op.f("fk_drug_class_members_rxcui_drug_concepts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("class_id", "rxcui", name=op.f("pk_drug_class_members")),
    )
    op.create_index(
        op.f("ix_drug_class_members_rxcui"), "drug_class_members", ["rxcui"], unique=False
    )
    op.create_table(
        "drug_ingredients",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("source_version", sa.String(length=100), nullable=False),
        sa.Column("licence", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rxcui", sa.String(length=16), nullable=False),
        sa.Column("ingredient_rxcui", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["ingredient_rxcui"],
            ["drug_concepts.rxcui"],
            name=op.f("fk_drug_ingredients_ingredient_rxcui_drug_concepts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rxcui"],
            ["drug_concepts.rxcui"],
            name=op.f("fk_drug_ingredients_rxcui_drug_concepts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rxcui", "ingredient_rxcui", name=op.f("pk_drug_ingredients")),
    )
    op.create_index(
        op.f("ix_drug_ingredients_ingredient_rxcui"),
        "drug_ingredients",
        ["ingredient_rxcui"],
        unique=False,
    )
    op.create_table(
        "drug_ndcs",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("source_version", sa.String(length=100), nullable=False),
        sa.Column("licence", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ndc", sa.String(length=11), nullable=False),
        sa.Column("rxcui", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["rxcui"],
            ["drug_concepts.rxcui"],
            name=op.f("fk_drug_ndcs_rxcui_drug_concepts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ndc", "rxcui", name=op.f("pk_drug_ndcs")),
    )
    op.create_index(op.f("ix_drug_ndcs_rxcui"), "drug_ndcs", ["rxcui"], unique=False)
    op.create_table(
        "drug_search_terms",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("source_version", sa.String(length=100), nullable=False),
        sa.Column("licence", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rxcui", sa.String(length=16), nullable=False),
        sa.Column("term", sa.String(length=3000), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["rxcui"],
            ["drug_concepts.rxcui"],
            name=op.f("fk_drug_search_terms_rxcui_drug_concepts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rxcui", "term", name=op.f("pk_drug_search_terms")),
    )
    op.create_index(
        "ix_drug_search_terms_term_trgm",
        "drug_search_terms",
        ["term"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"term": "gin_trgm_ops"},
    )


def downgrade() -> None:
    op.drop_index(
        "ix_drug_search_terms_term_trgm",
        table_name="drug_search_terms",
        postgresql_using="gin",
        postgresql_ops={"term": "gin_trgm_ops"},
    )
    op.drop_table("drug_search_terms")
    op.drop_index(op.f("ix_drug_ndcs_rxcui"), table_name="drug_ndcs")
    op.drop_table("drug_ndcs")
    op.drop_index(op.f("ix_drug_ingredients_ingredient_rxcui"), table_name="drug_ingredients")
    op.drop_table("drug_ingredients")
    op.drop_index(op.f("ix_drug_class_members_rxcui"), table_name="drug_class_members")
    op.drop_table("drug_class_members")
    op.drop_index(op.f("ix_drug_atc_codes_atc_code"), table_name="drug_atc_codes")
    op.drop_table("drug_atc_codes")
    op.drop_table("drug_releases")
    op.drop_index("uq_drug_interactions_pair_source", table_name="drug_interactions")
    op.drop_index("ix_drug_interactions_b", table_name="drug_interactions")
    op.drop_table("drug_interactions")
    op.drop_table("drug_concepts")
    op.drop_table("drug_classes")
