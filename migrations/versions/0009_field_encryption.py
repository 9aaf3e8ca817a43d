"""field encryption of direct identifiers

Phone, e-mail, date of birth and free-text notes become AES-256-GCM envelopes
(bytea); users.email and patients.phone get blind indexes for lookups. The
existing rows are encrypted here, with the keys of the running settings (the
engine's keyring, or the environment for the bare `alembic` command).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 00:50:00
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

# The envelope is versioned (its first byte), so importing the application's
# sealing code here stays valid for envelopes this revision wrote.
from prescripcare.encryption.columns import NoKeyringError, keyring_of
from prescripcare.encryption.envelope import blind_index, open_sealed, seal
from prescripcare.encryption.keys import Keyring, keyring_from_settings

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, SQL type before); the AAD is "table.column".
COLUMNS = [
    ("users", "email", sa.String(254)),
    ("patients", "phone", sa.String(20)),
    ("patients", "email", sa.String(254)),
    ("patients", "date_of_birth", sa.Date()),
    ("prescriptions", "sig", sa.Text()),
    ("prescriptions", "status_reason", sa.Text()),
    ("interaction_overrides", "reason", sa.Text()),
]
BLIND_INDEXED = {("users", "email"), ("patients", "phone")}
BATCH = 500


def _keyring(connection: Connection) -> Keyring:
    try:
        return keyring_of(connection.dialect)
    except NoKeyringError:
        from prescripcare.settings import load_settings

        return keyring_from_settings(load_settings())


def _table(table: str, column: str) -> sa.TableClause:
    return sa.table(table, sa.column("id", sa.Uuid), sa.column(column, sa.LargeBinary))


def _rows(connection: Connection, table: str, column: str) -> Iterator[list[sa.Row[Any]]]:
    """Every non-null value, a batch at a time, in primary-key order."""
    t = _table(table, column)
    query = sa.select(t.c.id, t.c[column]).where(t.c[column].is_not(None)).order_by(t.c.id)
    after = None
    while True:
        page = query if after is None else query.where(t.c.id > after)
        batch = list(connection.execute(page.limit(BATCH)))
        if not batch:
            return
        yield batch
        after = batch[-1][0]


def _store(table: str, column: str, *extra: str) -> sa.Update:
    t = sa.table(
        table,
        sa.column("id", sa.Uuid),
        *(sa.column(name, sa.LargeBinary) for name in (column, *extra)),
    )
    values = {name: sa.bindparam(f"v_{name}") for name in (column, *extra)}
    return sa.update(t).where(t.c.id == sa.bindparam("v_id")).values(values)


def upgrade() -> None:
    connection = op.get_bind()
    keyring = _keyring(connection)
    op.drop_index("uq_users_email", table_name="users")
    op.add_column("users", sa.Column("email_blind_index", sa.LargeBinary(), nullable=True))
    op.add_column("patients", sa.Column("phone_blind_index", sa.LargeBinary(), nullable=True))
    for table, column, before in COLUMNS:
        # The plaintext's UTF-8 bytes first (a date in ISO form), sealed below.
        as_text = f"to_char(\"{column}\", 'YYYY-MM-DD')" if isinstance(before, sa.Date) else column
        op.execute(
            f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE bytea '
            f"USING convert_to({as_text}, 'UTF8')"
        )
        where = f"{table}.{column}"
        index = f"{column}_blind_index"
        indexed = (table, column) in BLIND_INDEXED
        update = _store(table, column, *([index] if indexed else []))
        for batch in _rows(connection, table, column):
            values = []
            for row_id, raw in batch:
                plain = bytes(raw)
                value = {"v_id": row_id, f"v_{column}": seal(keyring, plain, where)}
                if indexed:
                    value[f"v_{index}"] = blind_index(keyring, plain.decode(), where)
                values.append(value)
            connection.execute(update, values)
    op.alter_column("users", "email_blind_index", nullable=False)
    op.create_index("uq_users_email_blind_index", "users", ["email_blind_index"], unique=True)
    op.create_index("ix_patients_phone_blind_index", "patients", ["phone_blind_index"])


def downgrade() -> None:
    connection = op.get_bind()
    keyring = _keyring(connection)
    op.drop_index("ix_patients_phone_blind_index", table_name="patients")
    op.drop_index("uq_users_email_blind_index", table_name="users")
    for table, column, before in COLUMNS:
        where = f"{table}.{column}"
        update = _store(table, column)
        for batch in _rows(connection, table, column):
            connection.execute(
                update,
                [
                    {"v_id": row_id, f"v_{column}": open_sealed(keyring, raw, where)}
                    for row_id, raw in batch
                ],
            )
        as_text = f"convert_from(\"{column}\", 'UTF8')"
        if isinstance(before, sa.Date):
            as_text = f"CAST({as_text} AS date)"
        op.alter_column(
            table, column, type_=before, postgresql_using=as_text, existing_type=sa.LargeBinary()
        )
    op.drop_column("patients", "phone_blind_index")
    op.drop_column("users", "email_blind_index")
    op.create_index("uq_users_email", "users", ["email"], unique=True)
