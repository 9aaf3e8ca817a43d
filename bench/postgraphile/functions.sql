-- Computed columns for PostGraphile, so that its nested query can fetch what
-- our API answers: adherence counts over the last N local dates, next doses,
-- doses in a window and daily counts. Installed in the benchmark database
-- only (PostGraphile exposes functions whose first argument is a table row).
DO $$ BEGIN
  CREATE TYPE dose_counts AS (
    scheduled int, taken int, missed int, skipped int, dose_adherence float
  );
EXCEPTION WHEN duplicate_object THEN NULL; END $$;

DO $$ BEGIN
  CREATE TYPE day_counts AS (day date, taken int, scheduled int);
EXCEPTION WHEN duplicate_object THEN NULL; END $$;

CREATE OR REPLACE FUNCTION window_start(tz text, days int) RETURNS timestamptz AS $$
  SELECT (CAST(now() AT TIME ZONE tz AS date) - (days - 1))::timestamp AT TIME ZONE tz
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION patients_adherence(p patients, days int) RETURNS dose_counts AS $$
  SELECT CAST(count(*) AS int),
         CAST(count(*) FILTER (WHERE status = 'TAKEN') AS int),
         CAST(count(*) FILTER (WHERE status = 'MISSED') AS int),
         CAST(count(*) FILTER (WHERE status = 'SKIPPED') AS int),
         CAST(count(*) FILTER (WHERE status = 'TAKEN') AS float)
           / nullif(count(*) FILTER (WHERE status IN ('TAKEN', 'MISSED', 'SKIPPED')), 0)
  FROM doses
  WHERE patient_id = p.id AND scheduled_at >= window_start(p.timezone, days)
    AND scheduled_at <= now()
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION prescriptions_adherence(rx prescriptions, days int)
RETURNS dose_counts AS $$
  SELECT CAST(count(*) AS int),
         CAST(count(*) FILTER (WHERE d.status = 'TAKEN') AS int),
         CAST(count(*) FILTER (WHERE d.status = 'MISSED') AS int),
         CAST(count(*) FILTER (WHERE d.status = 'SKIPPED') AS int),
         CAST(count(*) FILTER (WHERE d.status = 'TAKEN') AS float)
           / nullif(count(*) FILTER (WHERE d.status IN ('TAKEN', 'MISSED', 'SKIPPED')), 0)
  FROM doses d JOIN patients p ON p.id = d.patient_id
  WHERE d.prescription_id = rx.id AND d.scheduled_at >= window_start(p.timezone, days)
    AND d.scheduled_at <= now()
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION patients_adherence_daily(p patients, days int)
RETURNS SETOF day_counts AS $$
  SELECT CAST(scheduled_at AT TIME ZONE p.timezone AS date) AS day,
         CAST(count(*) FILTER (WHERE status = 'TAKEN') AS int),
         CAST(count(*) AS int)
  FROM doses
  WHERE patient_id = p.id AND scheduled_at >= window_start(p.timezone, days)
    AND scheduled_at <= now()
  GROUP BY 1 ORDER BY 1
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION patients_next_dose(p patients) RETURNS doses AS $$
  SELECT d.* FROM doses d JOIN prescriptions rx ON rx.id = d.prescription_id
  WHERE d.patient_id = p.id AND d.status = 'SCHEDULED' AND rx.status = 'ACTIVE'
  ORDER BY d.scheduled_at LIMIT 1
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION prescriptions_next_dose(rx prescriptions) RETURNS doses AS $$
  SELECT * FROM doses WHERE prescription_id = rx.id AND status = 'SCHEDULED'
  ORDER BY scheduled_at LIMIT 1
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION patients_doses_between(p patients, "from" timestamptz, "to" timestamptz)
RETURNS SETOF doses AS $$
  SELECT * FROM doses WHERE patient_id = p.id AND scheduled_at >= "from" AND scheduled_at < "to"
  ORDER BY scheduled_at
$$ LANGUAGE sql STABLE;

-- A dose's reminders. Since doses are partitioned (migration 0019) reminders
-- reference them by (dose_id, dose_scheduled_at), a key PostGraphile does not
-- turn into a backward relation on a partitioned table; this is that relation.
CREATE OR REPLACE FUNCTION doses_reminders(d doses) RETURNS SETOF reminders AS $$
  SELECT * FROM reminders WHERE dose_id = d.id AND dose_scheduled_at = d.scheduled_at
$$ LANGUAGE sql STABLE;
