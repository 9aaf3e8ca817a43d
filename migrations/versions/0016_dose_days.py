"""dose days rollup

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 08:40:00

Adherence read every dose of its window on every read, so its cost grew with
the dose history. `dose_days` keeps each prescription's counts per local date
of its patient; statement-level triggers on `doses` apply each statement's
changes as deltas in the same transaction, and a time zone change re-dates
the patient's rows. The counts are built from existing doses here.

Deltas (not recomputation) because concurrent writers to one day must not
overwrite each other: an UPDATE of `x = x + d` re-reads the latest row under
its lock, where a recomputation would write what its own snapshot saw.
The rollup keys on (prescription, local date) and reads only a dose's
prescription, patient, instant, status and time taken, never the dose's own
key, so repartitioning `doses` leaves it untouched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTIONS = r"""
-- A taken dose's lateness in whole minutes, rounded up and capped (see
-- prescripcare.adherence.models.LATENESS_CAP_MINUTES); null unless taken.
CREATE FUNCTION dose_lateness_minutes(status text, scheduled_at timestamptz, taken_at timestamptz)
RETURNS integer LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN status <> 'TAKEN' THEN NULL
    WHEN taken_at IS NULL THEN 1441
    ELSE least(ceil(abs(extract(epoch FROM taken_at - scheduled_at)) / 60), 1441)::integer
  END
$$;

-- a minus b as multisets: one occurrence of x in b removes one in a.
CREATE FUNCTION int_multiset_minus(a integer[], b integer[])
RETURNS integer[] LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(array_agg(kept.x ORDER BY kept.x), '{}'::integer[])
  FROM (SELECT x, row_number() OVER (PARTITION BY x) AS n FROM unnest(a) AS x) AS kept
  WHERE kept.n > (SELECT count(*) FROM unnest(b) AS y WHERE y = kept.x)
$$;

CREATE TYPE dose_day_delta AS (
  prescription_id uuid, day date, patient_id uuid,
  doses integer, taken integer, missed integer, skipped integer,
  added integer[], removed integer[]
);

-- Applies signed dose rows (+1 a row that now exists, -1 one that no longer
-- does) to the rollup.
CREATE FUNCTION dose_days_shift(
  p_prescription uuid[], p_patient uuid[], p_at timestamptz[],
  p_status text[], p_taken timestamptz[], p_sign integer[]
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  deltas dose_day_delta[];
  updated integer;
BEGIN
  -- Held until commit: a time zone change (dose_days_rezone) waits for this
  -- transaction, and this one for it, so no delta is dated in a zone the
  -- patient no longer has.
  PERFORM 1 FROM patients WHERE id = ANY (p_patient) ORDER BY id FOR SHARE;
  SELECT coalesce(array_agg(ROW(
           d.prescription_id, d.day, d.patient_id, d.doses, d.taken, d.missed, d.skipped,
           d.added, d.removed)::dose_day_delta ORDER BY d.prescription_id, d.day),
         '{}')
    INTO deltas
    FROM (
      SELECT c.prescription_id,
             (c.scheduled_at AT TIME ZONE p.timezone)::date AS day,
             c.patient_id,
             sum(c.sign)::integer AS doses,
             coalesce(sum(c.sign) FILTER (WHERE c.status = 'TAKEN'), 0)::integer AS taken,
             coalesce(sum(c.sign) FILTER (WHERE c.status = 'MISSED'), 0)::integer AS missed,
             coalesce(sum(c.sign) FILTER (WHERE c.status = 'SKIPPED'), 0)::integer AS skipped,
             coalesce(array_agg(c.minutes ORDER BY c.minutes)
               FILTER (WHERE c.status = 'TAKEN' AND c.sign > 0), '{}') AS added,
             coalesce(array_agg(c.minutes ORDER BY c.minutes)
               FILTER (WHERE c.status = 'TAKEN' AND c.sign < 0), '{}') AS removed
        FROM (SELECT u.*, dose_lateness_minutes(u.status, u.scheduled_at, u.taken_at) AS minutes
                FROM unnest(p_prescription, p_patient, p_at, p_status, p_taken, p_sign)
                     AS u(prescription_id, patient_id, scheduled_at, status, taken_at, sign)
             ) AS c
        JOIN patients p ON p.id = c.patient_id
        -- A prescription (or patient) deleted in this statement takes its
        -- rows with it by cascade: nothing to count.
        JOIN prescriptions rx ON rx.id = c.prescription_id
       GROUP BY 1, 2, 3
    ) AS d
   WHERE d.doses <> 0 OR d.taken <> 0 OR d.missed <> 0 OR d.skipped <> 0
      OR d.added <> d.removed;
  IF cardinality(deltas) = 0 THEN
    RETURN;
  END IF;
  -- A day not counted yet is inserted whole (a materialising run's days);
  -- a day another transaction is inserting waits for it, then is updated.
  WITH inserted AS (
    INSERT INTO dose_days (prescription_id, day, patient_id, doses, taken, missed, skipped,
                           taken_minutes)
    SELECT d.prescription_id, d.day, d.patient_id, d.doses, d.taken, d.missed, d.skipped,
           d.added
      FROM unnest(deltas) AS d
     -- Only what could stand as a row (CHECK constraints are tested before
     -- ON CONFLICT): a change to doses already counted updates their row.
     WHERE d.taken >= 0 AND d.missed >= 0 AND d.skipped >= 0
       AND d.taken + d.missed + d.skipped <= d.doses AND cardinality(d.removed) = 0
     ORDER BY d.prescription_id, d.day
    ON CONFLICT (prescription_id, day) DO NOTHING
    RETURNING prescription_id, day
  )
  SELECT coalesce(array_agg(d ORDER BY d.prescription_id, d.day), '{}')
    INTO deltas
    FROM unnest(deltas) AS d
   WHERE NOT EXISTS (SELECT 1 FROM inserted i
                      WHERE i.prescription_id = d.prescription_id AND i.day = d.day);
  IF cardinality(deltas) = 0 THEN
    RETURN;
  END IF;
  -- Rows locked in key order, so two writers cannot deadlock on them.
  PERFORM 1
     FROM dose_days r JOIN unnest(deltas) AS d
       ON r.prescription_id = d.prescription_id AND r.day = d.day
    ORDER BY r.prescription_id, r.day
      FOR UPDATE OF r;
  UPDATE dose_days r
     SET doses = r.doses + d.doses,
         taken = r.taken + d.taken,
         missed = r.missed + d.missed,
         skipped = r.skipped + d.skipped,
         -- Kept sorted: readers count the doses on time by binary search
         -- (width_bucket). Most changes (missed doses) leave it alone.
         taken_minutes = CASE WHEN d.added = '{}' AND d.removed = '{}'
                              THEN r.taken_minutes
                              ELSE int_multiset_minus(r.taken_minutes || d.added, d.removed) END
    FROM unnest(deltas) AS d
   WHERE r.prescription_id = d.prescription_id AND r.day = d.day;
  GET DIAGNOSTICS updated = ROW_COUNT;
  IF updated < cardinality(deltas) THEN
    -- A change to doses the rollup never counted: it was altered outside
    -- these triggers. Count those patients again rather than drift.
    RAISE WARNING 'dose_days: % day(s) were not counted; rebuilding',
      cardinality(deltas) - updated;
    PERFORM dose_days_rebuild(ARRAY(SELECT DISTINCT d.patient_id FROM unnest(deltas) AS d));
  END IF;
END
$$;

CREATE FUNCTION dose_days_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM dose_days_shift(array_agg(c.prescription_id), array_agg(c.patient_id),
                            array_agg(c.scheduled_at), array_agg(c.status::text),
                            array_agg(c.taken_at), array_agg(1))
       FROM new_doses c HAVING count(*) > 0;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM dose_days_shift(array_agg(c.prescription_id), array_agg(c.patient_id),
                            array_agg(c.scheduled_at), array_agg(c.status::text),
                            array_agg(c.taken_at), array_agg(-1))
       FROM old_doses c HAVING count(*) > 0;
  ELSE
    PERFORM dose_days_shift(array_agg(c.prescription_id), array_agg(c.patient_id),
                            array_agg(c.scheduled_at), array_agg(c.status::text),
                            array_agg(c.taken_at), array_agg(c.sign))
       FROM (SELECT prescription_id, patient_id, scheduled_at, status, taken_at, -1 AS sign
               FROM old_doses
             UNION ALL
             SELECT prescription_id, patient_id, scheduled_at, status, taken_at, 1
               FROM new_doses) AS c
     HAVING count(*) > 0;
  END IF;
  RETURN NULL;
END
$$;

-- The rows of the given patients, counted again from their doses.
CREATE FUNCTION dose_days_rebuild(p_patients uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM dose_days WHERE patient_id = ANY (p_patients);
  INSERT INTO dose_days (prescription_id, day, patient_id, doses, taken, missed, skipped,
                         taken_minutes)
  SELECT d.prescription_id, (d.scheduled_at AT TIME ZONE p.timezone)::date, d.patient_id,
         count(*),
         count(*) FILTER (WHERE d.status = 'TAKEN'),
         count(*) FILTER (WHERE d.status = 'MISSED'),
         count(*) FILTER (WHERE d.status = 'SKIPPED'),
         coalesce(array_agg(dose_lateness_minutes(d.status, d.scheduled_at, d.taken_at)
                            ORDER BY dose_lateness_minutes(d.status, d.scheduled_at, d.taken_at))
                  FILTER (WHERE d.status = 'TAKEN'), '{}')
    FROM doses d JOIN patients p ON p.id = d.patient_id
   WHERE d.patient_id = ANY (p_patients)
   GROUP BY 1, 2, 3;
END
$$;

-- Local dates follow the patient's current zone (as the reports always
-- have): a zone change dates the whole history again.
CREATE FUNCTION dose_days_rezone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dose_days_rebuild(ARRAY[NEW.id]);
  RETURN NULL;
END
$$;

CREATE TRIGGER dose_days_insert AFTER INSERT ON doses
  REFERENCING NEW TABLE AS new_doses
  FOR EACH STATEMENT EXECUTE FUNCTION dose_days_track();
CREATE TRIGGER dose_days_update AFTER UPDATE ON doses
  REFERENCING OLD TABLE AS old_doses NEW TABLE AS new_doses
  FOR EACH STATEMENT EXECUTE FUNCTION dose_days_track();
CREATE TRIGGER dose_days_delete AFTER DELETE ON doses
  REFERENCING OLD TABLE AS old_doses
  FOR EACH STATEMENT EXECUTE FUNCTION dose_days_track();
CREATE TRIGGER dose_days_rezone AFTER UPDATE OF timezone ON patients
  FOR EACH ROW WHEN (OLD.timezone IS DISTINCT FROM NEW.timezone)
  EXECUTE FUNCTION dose_days_rezone();
"""

DROP = """
DROP TRIGGER IF EXISTS dose_days_rezone ON patients;
DROP TRIGGER IF EXISTS dose_days_delete ON doses;
DROP TRIGGER IF EXISTS dose_days_update ON doses;
DROP TRIGGER IF EXISTS dose_days_insert ON doses;
DROP FUNCTION IF EXISTS dose_days_rezone();
DROP FUNCTION IF EXISTS dose_days_rebuild(uuid[]);
DROP FUNCTION IF EXISTS dose_days_track();
DROP FUNCTION IF EXISTS dose_days_shift(uuid[], uuid[], timestamptz[], text[], timestamptz[],
                                        integer[]);
DROP TYPE IF EXISTS dose_day_delta;
DROP FUNCTION IF EXISTS int_multiset_minus(integer[], integer[]);
DROP FUNCTION IF EXISTS dose_lateness_minutes(text, timestamptz, timestamptz);
"""


def upgrade() -> None:
    op.create_table(
        "dose_days",
        sa.Column("prescription_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("doses", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column(
            "taken_minutes",
            postgresql.ARRAY(sa.Integer()),
            server_default=sa.text("'{}'::integer[]"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "taken >= 0 AND missed >= 0 AND skipped >= 0 AND taken + missed + skipped <= doses",
            name=op.f("ck_dose_days_counts_add_up"),
        ),
        sa.CheckConstraint(
            "cardinality(taken_minutes) = taken", name=op.f("ck_dose_days_lateness_per_taken")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_dose_days_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["prescription_id"],
            ["prescriptions.id"],
            name=op.f("fk_dose_days_prescription_id_prescriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("prescription_id", "day", name=op.f("pk_dose_days")),
    )
    op.create_index("ix_dose_days_patient_day", "dose_days", ["patient_id", "day"])
    # asyncpg prepares each statement: one command at a time.
    for statement in re.split(r";\n(?=\n|CREATE)", FUNCTIONS):
        op.execute(statement)
    # Back-fill every patient's rows from the doses already there. Creating
    # the triggers locked `doses` against writers until this commits, so no
    # dose is counted twice or missed.
    op.execute("SELECT dose_days_rebuild(ARRAY(SELECT id FROM patients))")


def downgrade() -> None:
    for statement in DROP.strip().split(";\n"):
        op.execute(statement)
    op.drop_index("ix_dose_days_patient_day", table_name="dose_days")
    op.drop_table("dose_days")
