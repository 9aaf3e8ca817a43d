"""prescriptions, fills, interaction overrides, doses

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 22:46:52.822474
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prescriptions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("rxcui", sa.String(length=16), nullable=False),
        sa.Column("prescriber_id", sa.UUID(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("dose_quantity", sa.Float(), nullable=False),
        sa.Column("dose_unit", sa.String(length=50), nullable=False),
        sa.Column("sig", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("days_supply", sa.Integer(), nullable=True),
        sa.Column("refills", sa.Integer(), nullable=True),
        sa.Column("refills_remaining", sa.Integer(), nullable=True),
        sa.Column("times_of_day", postgresql.ARRAY(sa.Time()), nullable=False),
        sa.Column("days_of_week", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("every_hours", sa.Integer(), nullable=True),
        sa.Column("every_days", sa.Integer(), nullable=True),
        sa.Column("as_needed", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("status_changed_by", sa.UUID(), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('ACTIVE', 'PAUSED', 'COMPLETED', 'DISCONTINUED')",
            name=op.f("ck_prescriptions_status_known"),
        ),
        sa.CheckConstraint("dose_quantity > 0", name=op.f("ck_prescriptions_dose_positive")),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_prescriptions_end_after_start"),
        ),
        sa.CheckConstraint(
            "every_days IS NULL OR every_days BETWEEN 1 AND 365",
            name=op.f("ck_prescriptions_every_days"),
        ),
        sa.CheckConstraint(
            "every_hours IS NULL OR every_hours BETWEEN 1 AND 24",
            name=op.f("ck_prescriptions_every_hours"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_prescriptions_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_prescriptions_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["prescriber_id"],
            ["users.id"],
            name=op.f("fk_prescriptions_prescriber_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rxcui"], ["drug_concepts.rxcui"], name=op.f("fk_prescriptions_rxcui_drug_concepts")
        ),
        sa.ForeignKeyConstraint(
            ["status_changed_by"],
            ["users.id"],
            name=op.f("fk_prescriptions_status_changed_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescriptions")),
    )
    op.create_index(
        "ix_prescriptions_patient_status", "prescriptions", ["patient_id", "status"], unique=False
    )
    op.create_table(
        "doses",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("prescription_id", sa.UUID(), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.UUID(), nullable=True),
        sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('SCHEDULED', 'TAKEN', 'SKIPPED', 'MISSED')",
            name=op.f("ck_doses_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_doses_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["prescription_id"],
            ["prescriptions.id"],
            name=op.f("fk_doses_prescription_id_prescriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["users.id"],
            name=op.f("fk_doses_recorded_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doses")),
        sa.UniqueConstraint("prescription_id", "scheduled_at", name="uq_doses_prescription_time"),
    )
    op.create_index(
        "ix_doses_due",
        "doses",
        ["scheduled_at"],
        unique=False,
        postgresql_where=sa.text("status = 'SCHEDULED'"),
    )
    op.create_index(
        "ix_doses_patient_scheduled_at", "doses", ["patient_id", "scheduled_at"], unique=False
    )
    op.create_table(
        "fills",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("prescription_id", sa.UUID(), nullable=False),
        sa.Column("filled_on", sa.Date(), nullable=False),
        sa.Column("days_supply", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("recorded_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("days_supply BETWEEN 1 AND 365", name=op.f("ck_fills_days_supply")),
        sa.ForeignKeyConstraint(
            ["prescription_id"],
            ["prescriptions.id"],
            name=op.f("fk_fills_prescription_id_prescriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["users.id"],
            name=op.f("fk_fills_recorded_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fills")),
    )
    op.create_index(
        "ix_fills_prescription_filled_on", "fills", ["prescription_id", "filled_on"], unique=False
    )
    op.create_table(
        "interaction_overrides",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("prescription_id", sa.UUID(), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("ingredient_rxcuis", postgresql.ARRAY(sa.String(length=16)), nullable=False),
        sa.Column("acknowledged_by", sa.UUID(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"],
            ["users.id"],
            name=op.f("fk_interaction_overrides_acknowledged_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["prescription_id"],
            ["prescriptions.id"],
            name=op.f("fk_interaction_overrides_prescription_id_prescriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interaction_overrides")),
    )
    op.create_index(
        op.f("ix_interaction_overrides_prescription_id"),
        "interaction_overrides",
        ["prescription_id"],
        unique=False,
    )
    op.create_table(
        "dose_records",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("dose_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dose_id"],
            ["doses.id"],
            name=op.f("fk_dose_records_dose_id_doses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["users.id"],
            name=op.f("fk_dose_records_recorded_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dose_records")),
    )
    op.create_index(op.f("ix_dose_records_dose_id"), "dose_records", ["dose_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_dose_records_dose_id"), table_name="dose_records")
    op.drop_table("dose_records")
    op.drop_index(
        op.f("ix_interaction_overrides_prescription_id"), table_name="interaction_overrides"
    )
    op.drop_table("interaction_overrides")
    op.drop_index("ix_fills_prescription_filled_on", table_name="fills")
    op.drop_table("fills")
    op.drop_index("ix_doses_patient_scheduled_at", table_name="doses")
    op.drop_index(
        "ix_doses_due", table_name="doses", postgresql_where=sa.text("status = 'SCHEDULED'")
    )
    op.drop_table("doses")
    op.drop_index("ix_prescriptions_patient_status", table_name="prescriptions")
    op.drop_table("prescriptions")
