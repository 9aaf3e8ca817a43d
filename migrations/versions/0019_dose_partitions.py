"""doses partitioned by month

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 11:45:00

`doses` grows by about a thousand rows per patient per year and is never
deleted. It becomes a table partitioned by range of `scheduled_at`, one
partition per calendar month in UTC (`doses_y2026m12`), plus a default
partition that catches a dose no month partition covers (kept empty by the
worker's `ensure-dose-partitions` job, which creates months ahead).

A key of a partitioned table must contain the partition key, so the primary
key becomes (id, scheduled_at) and the rows that reference a dose
(`reminders`, `dose_records`) carry the dose's `scheduled_at` in
`dose_scheduled_at`: a composite foreign key keeps the reference enforced by
the database, and a dose's reminders and records are found in its partition
alone. `id` stays unique in practice (a random UUID) but is no longer a key on
its own.

The existing rows are moved in this transaction: the old table is renamed,
its rows copied into the partitions (months from its oldest to its newest
dose, and the months ahead), and dropped. The dose-day rollup already counts
them, so its triggers are created on the new table after the copy.

`dose_partitions_ensure(from, to)` creates the missing month partitions of a
UTC range; the migration and the worker both call it.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A dose's instant moves with the dose (ON UPDATE CASCADE): no code changes
# it today, but a reference must never point at the wrong instant.
REFERENCES = """
ALTER TABLE {table} ADD CONSTRAINT fk_{table}_dose_id_doses
  FOREIGN KEY (dose_id, dose_scheduled_at) REFERENCES doses (id, scheduled_at)
  ON DELETE CASCADE ON UPDATE CASCADE
"""

ENSURE = r"""
CREATE FUNCTION dose_partitions_ensure(p_from timestamptz, p_to timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  month timestamp := date_trunc('month', p_from AT TIME ZONE 'UTC');
  low timestamptz;
  high timestamptz;
  created integer := 0;
  part text;
BEGIN
  -- One creator at a time: two workers at once would both try each month.
  PERFORM pg_advisory_xact_lock(hashtext('dose_partitions_ensure'));
  WHILE (month AT TIME ZONE 'UTC') < p_to LOOP
    part := 'doses_' || to_char(month, '"y"YYYY"m"MM');
    low := month AT TIME ZONE 'UTC';
    high := (month + interval '1 month') AT TIME ZONE 'UTC';
    IF NOT EXISTS (
      SELECT 1 FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'doses'::regclass AND c.relname = part
    ) THEN
      IF EXISTS (SELECT 1 FROM doses_default WHERE scheduled_at >= low AND scheduled_at < high)
      THEN
        -- Doses of this month wait in the default partition: they move to
        -- their month. A row leaving a referenced partition would cascade
        -- to its reminders and records, so the two references are lifted
        -- for the move and checked again after it, in this transaction.
        -- Moving between partitions directly fires none of the rollup's
        -- statement triggers (which are on `doses`): the counts stand.
        ALTER TABLE reminders DROP CONSTRAINT fk_reminders_dose_id_doses;
        ALTER TABLE dose_records DROP CONSTRAINT fk_dose_records_dose_id_doses;
        CREATE TEMPORARY TABLE dose_partitions_moving ON COMMIT DROP AS
          WITH moved AS (
            DELETE FROM doses_default WHERE scheduled_at >= low AND scheduled_at < high
            RETURNING *)
          SELECT * FROM moved;
        EXECUTE format('CREATE TABLE %I PARTITION OF doses FOR VALUES FROM (%L) TO (%L)',
                       part, low, high);
        EXECUTE format('INSERT INTO %I SELECT * FROM dose_partitions_moving', part);
        DROP TABLE dose_partitions_moving;
        EXECUTE $fk${reminders}$fk$;
        EXECUTE $fk${dose_records}$fk$;
      ELSE
        EXECUTE format('CREATE TABLE %I PARTITION OF doses FOR VALUES FROM (%L) TO (%L)',
                       part, low, high);
      END IF;
      created := created + 1;
    END IF;
    month := month + interval '1 month';
  END LOOP;
  RETURN created;
END
$$
""".format(  # noqa: S608 - our own constraint text, no input
    reminders=REFERENCES.format(table="reminders").strip(),
    dose_records=REFERENCES.format(table="dose_records").strip(),
)

TRIGGERS = """
CREATE TRIGGER dose_days_insert AFTER INSERT ON doses
  REFERENCING NEW TABLE AS new_doses
  FOR EACH STATEMENT EXECUTE FUNCTION dose_days_track();
CREATE TRIGGER dose_days_update AFTER UPDATE ON doses
  REFERENCING OLD TABLE AS old_doses NEW TABLE AS new_doses
  FOR EACH STATEMENT EXECUTE FUNCTION dose_days_track();
CREATE TRIGGER dose_days_delete AFTER DELETE ON doses
  REFERENCING OLD TABLE AS old_doses
  FOR EACH STATEMENT EXECUTE FUNCTION dose_days_track()
"""

COLUMNS = """
  id uuid NOT NULL,
  prescription_id uuid NOT NULL
    CONSTRAINT fk_doses_prescription_id_prescriptions
    REFERENCES prescriptions (id) ON DELETE CASCADE,
  patient_id uuid NOT NULL
    CONSTRAINT fk_doses_patient_id_patients REFERENCES patients (id) ON DELETE CASCADE,
  scheduled_at timestamptz NOT NULL,
  status varchar(16) NOT NULL
    CONSTRAINT ck_doses_status_known CHECK (status IN ('SCHEDULED', 'TAKEN', 'SKIPPED', 'MISSED')),
  taken_at timestamptz,
  recorded_at timestamptz,
  recorded_by uuid
    CONSTRAINT fk_doses_recorded_by_users REFERENCES users (id) ON DELETE SET NULL,
  snoozed_until timestamptz,
  created_at timestamptz NOT NULL
"""

INDEXES = [
    "CREATE INDEX ix_doses_due ON doses (scheduled_at) WHERE status = 'SCHEDULED'",
    "CREATE INDEX ix_doses_patient_scheduled_at ON doses (patient_id, scheduled_at)",
    "CREATE INDEX ix_doses_patient_next ON doses (patient_id, scheduled_at) "
    "WHERE status = 'SCHEDULED'",
    "CREATE INDEX ix_doses_prescription_next ON doses (prescription_id, scheduled_at) "
    "WHERE status = 'SCHEDULED'",
]

OLD_NAMES = [
    "DROP TRIGGER dose_days_insert ON doses_unpartitioned",
    "DROP TRIGGER dose_days_update ON doses_unpartitioned",
    "DROP TRIGGER dose_days_delete ON doses_unpartitioned",
    "DROP INDEX ix_doses_due",
    "DROP INDEX ix_doses_patient_scheduled_at",
    "DROP INDEX ix_doses_patient_next",
    "DROP INDEX ix_doses_prescription_next",
    "ALTER TABLE doses_unpartitioned DROP CONSTRAINT uq_doses_prescription_time",
    "ALTER TABLE doses_unpartitioned DROP CONSTRAINT pk_doses",
    "ALTER TABLE doses_unpartitioned DROP CONSTRAINT ck_doses_status_known",
    "ALTER TABLE doses_unpartitioned DROP CONSTRAINT fk_doses_prescription_id_prescriptions",
    "ALTER TABLE doses_unpartitioned DROP CONSTRAINT fk_doses_patient_id_patients",
    "ALTER TABLE doses_unpartitioned DROP CONSTRAINT fk_doses_recorded_by_users",
]

MOVE_REFERENCES = """
UPDATE {table} r SET dose_scheduled_at = d.scheduled_at
  FROM doses_unpartitioned d WHERE d.id = r.dose_id
"""


def upgrade() -> None:
    op.execute("ALTER TABLE reminders DROP CONSTRAINT fk_reminders_dose_id_doses")
    op.execute("ALTER TABLE dose_records DROP CONSTRAINT fk_dose_records_dose_id_doses")
    op.execute("ALTER TABLE doses RENAME TO doses_unpartitioned")
    for statement in OLD_NAMES:
        op.execute(statement)
    op.execute(
        f"CREATE TABLE doses ({COLUMNS},"
        " CONSTRAINT pk_doses PRIMARY KEY (id, scheduled_at),"
        " CONSTRAINT uq_doses_prescription_time UNIQUE (prescription_id, scheduled_at)"
        ") PARTITION BY RANGE (scheduled_at)"
    )
    op.execute("CREATE TABLE doses_default PARTITION OF doses DEFAULT")
    for statement in INDEXES:
        op.execute(statement)
    op.execute(ENSURE)
    op.execute(
        "SELECT dose_partitions_ensure("
        " least(coalesce((SELECT min(scheduled_at) FROM doses_unpartitioned), now()), now()),"
        " greatest(coalesce((SELECT max(scheduled_at) FROM doses_unpartitioned), now()),"
        # The months ahead the worker keeps (doses/partitions.py MONTHS_AHEAD).
        "          now() + interval '4 months'))"
    )
    op.execute(
        "INSERT INTO doses (id, prescription_id, patient_id, scheduled_at, status, taken_at,"
        " recorded_at, recorded_by, snoozed_until, created_at)"
        " SELECT id, prescription_id, patient_id, scheduled_at, status, taken_at,"
        " recorded_at, recorded_by, snoozed_until, created_at FROM doses_unpartitioned"
    )
    for statement in TRIGGERS.strip().split(";\n"):
        op.execute(statement)

    op.execute("ALTER TABLE dose_records ADD COLUMN dose_scheduled_at timestamptz")
    op.execute(MOVE_REFERENCES.format(table="dose_records"))
    op.execute("ALTER TABLE dose_records ALTER COLUMN dose_scheduled_at SET NOT NULL")
    op.execute(REFERENCES.format(table="dose_records"))

    op.execute("ALTER TABLE reminders ADD COLUMN dose_scheduled_at timestamptz")
    op.execute(MOVE_REFERENCES.format(table="reminders"))
    op.execute(
        "ALTER TABLE reminders ADD CONSTRAINT ck_reminders_dose_instant_with_dose"
        " CHECK ((dose_id IS NULL) = (dose_scheduled_at IS NULL))"
    )
    op.execute(REFERENCES.format(table="reminders"))
    op.execute("DROP TABLE doses_unpartitioned")


def downgrade() -> None:
    op.execute("ALTER TABLE reminders DROP CONSTRAINT fk_reminders_dose_id_doses")
    op.execute("ALTER TABLE reminders DROP CONSTRAINT ck_reminders_dose_instant_with_dose")
    op.execute("ALTER TABLE reminders DROP COLUMN dose_scheduled_at")
    op.execute("ALTER TABLE dose_records DROP CONSTRAINT fk_dose_records_dose_id_doses")
    op.execute("ALTER TABLE dose_records DROP COLUMN dose_scheduled_at")
    op.execute("ALTER TABLE doses RENAME TO doses_partitioned")
    for statement in [
        "DROP TRIGGER dose_days_insert ON doses_partitioned",
        "DROP TRIGGER dose_days_update ON doses_partitioned",
        "DROP TRIGGER dose_days_delete ON doses_partitioned",
        "DROP INDEX ix_doses_due",
        "DROP INDEX ix_doses_patient_scheduled_at",
        "DROP INDEX ix_doses_patient_next",
        "DROP INDEX ix_doses_prescription_next",
        "ALTER TABLE doses_partitioned DROP CONSTRAINT uq_doses_prescription_time",
        "ALTER TABLE doses_partitioned DROP CONSTRAINT pk_doses",
        "ALTER TABLE doses_partitioned DROP CONSTRAINT ck_doses_status_known",
        "ALTER TABLE doses_partitioned DROP CONSTRAINT fk_doses_prescription_id_prescriptions",
        "ALTER TABLE doses_partitioned DROP CONSTRAINT fk_doses_patient_id_patients",
        "ALTER TABLE doses_partitioned DROP CONSTRAINT fk_doses_recorded_by_users",
    ]:
        op.execute(statement)
    op.execute(
        f"CREATE TABLE doses ({COLUMNS},"
        " CONSTRAINT pk_doses PRIMARY KEY (id),"
        " CONSTRAINT uq_doses_prescription_time UNIQUE (prescription_id, scheduled_at))"
    )
    for statement in INDEXES:
        op.execute(statement)
    op.execute(
        "INSERT INTO doses (id, prescription_id, patient_id, scheduled_at, status, taken_at,"
        " recorded_at, recorded_by, snoozed_until, created_at)"
        " SELECT id, prescription_id, patient_id, scheduled_at, status, taken_at,"
        " recorded_at, recorded_by, snoozed_until, created_at FROM doses_partitioned"
    )
    for statement in TRIGGERS.strip().split(";\n"):
        op.execute(statement)
    op.execute(
        "ALTER TABLE dose_records ADD CONSTRAINT fk_dose_records_dose_id_doses"
        " FOREIGN KEY (dose_id) REFERENCES doses (id) ON DELETE CASCADE"
    )
    op.execute(
        "ALTER TABLE reminders ADD CONSTRAINT fk_reminders_dose_id_doses"
        " FOREIGN KEY (dose_id) REFERENCES doses (id) ON DELETE CASCADE"
    )
    op.execute("DROP TABLE doses_partitioned")
    op.execute("DROP FUNCTION dose_partitions_ensure(timestamptz, timestamptz)")
