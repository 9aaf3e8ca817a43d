"""Every Prometheus metric the process exports, defined once.

One registry per process (the default one): a container runs one API or
worker process, so multiprocess mode is not needed. Label values are bounded
(route templates, SQL verbs, known table names, enum values) so a client can
never grow the series count.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Latency buckets up to 10 s: the API alert fires on a p95 above 2 s.
_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0)

HTTP_REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP requests by method, route template and status code.",
    ["method", "route", "status_code"],
    buckets=_LATENCY,
)
GRAPHQL_OPERATION_DURATION = Histogram(
    "graphql_operation_duration_seconds",
    "GraphQL operations by operation name.",
    ["operation"],
    buckets=_LATENCY,
)
# A masked failure answers HTTP 200 (GraphQL puts errors in the body), so the
# 5xx rate never sees it: it is counted here.
GRAPHQL_INTERNAL_ERRORS = Counter(
    "prescripcare_graphql_internal_errors",
    "Unexpected exceptions answered as INTERNAL_SERVER_ERROR (masked).",
)
DATABASE_QUERY_DURATION = Histogram(
    "database_query_duration_seconds",
    "SQL statements by verb and first table.",
    ["query_type", "table"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
DATABASE_POOL_IN_USE = Gauge(
    "database_pool_connections_in_use",
    "Connections checked out of the pool.",
    ["engine"],
)
DATABASE_POOL_MAX = Gauge(
    "database_pool_connections_max",
    "The most connections the pool may hold (DATABASE_POOL_MAX).",
    ["engine"],
)
NOTIFICATIONS = Counter(
    "prescripcare_notifications",
    "Reminder sends by channel, outcome and kind.",
    ["channel", "status", "type"],
)
REMINDER_LATENESS = Histogram(
    "prescripcare_reminder_lateness_seconds",
    "From a reminder's due instant to the provider accepting it.",
    ["channel", "type"],
    # Sub-second buckets: reminders are sent at their due second, so the
    # morning peak's tail (p99) is what moves (docs/reminders-throughput.md).
    buckets=(0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600),
)
QUEUE_DEPTH = Gauge(
    "prescripcare_arq_queue_depth",
    "Jobs waiting in the arq queue.",
)
ACTIVE_SUBSCRIPTIONS = Gauge(
    "prescripcare_active_subscriptions",
    "GraphQL subscriptions currently streaming.",
)
# Read from the backup history and pg_stat_archiver on each scrape (API) and
# each reminder run (worker); the backup alerts compare them with time().
BACKUP_LAST_SUCCESS = Gauge(
    "prescripcare_backup_last_success_timestamp_seconds",
    "When the newest finished backup of each kind finished (Unix time; 0: none yet).",
    ["kind"],
)
WAL_LAST_ARCHIVED = Gauge(
    "prescripcare_wal_last_archived_timestamp_seconds",
    "When PostgreSQL last archived a WAL segment (pg_stat_archiver; 0: never).",
)
WAL_LAST_FAILED = Gauge(
    "prescripcare_wal_last_failed_timestamp_seconds",
    "When PostgreSQL last failed to archive a WAL segment (pg_stat_archiver; 0: never).",
)
# A drug search Meilisearch could not answer (reason: timeout, unreachable,
# error, or cooling_down after a recent failure), answered by PostgreSQL.
DRUG_SEARCH_FALLBACKS = Counter(
    "prescripcare_drug_search_fallbacks",
    "Drug searches answered by PostgreSQL because Meilisearch failed or recently failed.",
    ["reason"],
)
