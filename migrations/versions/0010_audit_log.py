"""audit log, its hash chain, and break-glass grants

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 00:50:00

The log is append-only in PostgreSQL itself: statement triggers refuse UPDATE,
DELETE and TRUNCATE whoever connects (superusers included), and are ENABLE
ALWAYS so `session_replication_role = replica` does not skip them. A BEFORE
INSERT trigger numbers each entry and chains it to the previous one by
SHA-256, under the chain head's row lock, so the application cannot forget or
fake the chain. Someone able to disable the triggers (the table owner) can
still alter rows; `prescripcare audit verify` then finds the broken link.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The canonical encoding of one field: N for null, else S<bytes>:<text>, so no
# value can be mistaken for a separator. prescripcare.audit.chain mirrors it.
FUNCTIONS = [
    r"""
CREATE FUNCTION audit_field(value text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN value IS NULL THEN 'N' ELSE 'S' || octet_length(value) || ':' || value END
$$
""",
    r"""
CREATE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  head record;
BEGIN
  SELECT seq, hash INTO head FROM audit_chain_head WHERE id = 1 FOR UPDATE;
  NEW.seq := head.seq + 1;
  NEW.prev_hash := head.hash;
  NEW.hash := sha256(head.hash || convert_to(
       audit_field(NEW.seq::text)
    || audit_field((extract(epoch FROM NEW.at) * 1000000)::bigint::text)
    || audit_field(NEW.actor_id::text)
    || audit_field(NEW.actor_role)
    || audit_field(NEW.action)
    || audit_field(NEW.entity)
    || audit_field(NEW.entity_id)
    || audit_field(NEW.patient_id::text)
    || audit_field(NEW.request_id)
    || audit_field(NEW.ip)
    || audit_field(NEW.break_glass_grant_id::text), 'UTF8'));
  UPDATE audit_chain_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
  RETURN NEW;
END
$$
""",
    r"""
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$
""",
    r"""
CREATE FUNCTION audit_chain_head_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Only the chain trigger (one level down) moves the head.
  IF pg_trigger_depth() < 2 THEN
    RAISE EXCEPTION 'audit_chain_head moves only with an audit_log insert'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$
""",
]

TRIGGERS = [
    ("audit_log", "audit_log_chain", "BEFORE INSERT", "ROW", "audit_log_chain"),
    (
        "audit_log",
        "audit_log_append_only",
        "BEFORE UPDATE OR DELETE",
        "STATEMENT",
        "audit_log_refuse_change",
    ),
    (
        "audit_log",
        "audit_log_no_truncate",
        "BEFORE TRUNCATE",
        "STATEMENT",
        "audit_log_refuse_change",
    ),
    (
        "audit_chain_head",
        "audit_chain_head_guard",
        "BEFORE UPDATE OR DELETE",
        "ROW",
        "audit_chain_head_guard",
    ),
    (
        "audit_chain_head",
        "audit_chain_head_no_truncate",
        "BEFORE TRUNCATE",
        "STATEMENT",
        "audit_log_refuse_change",
    ),
]


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("patient_id", sa.UUID(), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("break_glass_grant_id", sa.UUID(), nullable=True),
        sa.Column("prev_hash", sa.LargeBinary(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_patient_id_seq", "audit_log", ["patient_id", "seq"])
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_chain_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.execute(
        "INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'))"
    )
    op.create_table(
        "break_glass_grants",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("clinician_id", sa.UUID(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_break_glass_grants_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["users.id"],
            name=op.f("fk_break_glass_grants_clinician_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_break_glass_grants")),
    )
    op.create_index(op.f("ix_break_glass_grants_patient_id"), "break_glass_grants", ["patient_id"])
    op.create_index(
        "ix_break_glass_grants_clinician_id_expires_at",
        "break_glass_grants",
        ["clinician_id", "expires_at"],
    )
    for function in FUNCTIONS:
        op.execute(function)
    for table, name, when, level, function in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} {when} ON {table} "
            f"FOR EACH {level} EXECUTE FUNCTION {function}()"
        )
        op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}")


def downgrade() -> None:
    op.drop_table("break_glass_grants")
    op.drop_table("audit_chain_head")
    op.drop_table("audit_log")
    for function in (
        "audit_chain_head_guard()",
        "audit_log_refuse_change()",
        "audit_log_chain()",
        "audit_field(text)",
    ):
        op.execute(f"DROP FUNCTION {function}")
