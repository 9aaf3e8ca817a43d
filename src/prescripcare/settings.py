"""Every setting, read from the environment and validated in one place.

A production process refuses to start on a missing or weak secret rather than
run with a guessable one: tokens signed with a known key are forged tokens.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from prescripcare.encryption.keyformat import decode_key

# Only ever used in development; production refuses it (see _check_production).
DEV_JWT_SECRET = "development-only-jwt-secret-do-not-use-in-production"
# Development's field-encryption key when ENCRYPTION_KEY is unset; production
# refuses it. 32 bytes, URL-safe base64, like every key.
DEV_ENCRYPTION_KEY = "ZGV2ZWxvcG1lbnQtb25seS1lbmNyeXB0aW9uLWtleSE="
MIN_SECRET_LENGTH = 32
# The settings each reminder provider needs, all together (see
# Settings._provider_problems). FCM is switched on by FCM_PROJECT_ID alone:
# the manifests always name the service-account file's mount point, which
# holds a file only where the operator created that secret.
PROVIDER_SETTINGS = {
    "Twilio (SMS)": ("twilio_account_sid", "twilio_auth_token", "twilio_from_number"),
    "SendGrid (e-mail)": ("sendgrid_api_key", "sendgrid_from_email"),
}


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message says which and why."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    prescripcare_env: Literal["development", "production"] = "development"
    database_url: str | None = None
    redis_url: str | None = None
    # Every Redis key and pub/sub channel starts with this, so several
    # deployments can share one Redis server.
    redis_prefix: str = Field(default="prescripcare", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    # Redis connections one process may hold: commands beyond them wait for a
    # free one, so a burst (thousands of sockets subscribing at once) does
    # not open connections that then stay open (docs/benchmarks.md, fan-out).
    redis_pool_max: int = Field(default=10, ge=2, le=1000)
    jwt_secret: SecretStr | None = None
    encryption_key: SecretStr | None = None
    port: int = Field(default=8000, ge=1, le=65535)
    # The proxies (load balancer, ingress controller) whose X-Forwarded-For and
    # X-Forwarded-Proto are believed: comma-separated addresses or CIDR
    # networks, passed to uvicorn. Uvicorn's own name, so an operator who
    # follows its documentation sets this very setting. Rate limits and the
    # audit log see the client only through a listed proxy.
    forwarded_allow_ips: str = "127.0.0.1,::1"
    sentry_dsn: str | None = None
    # The commit the image was built from (the Dockerfile's BUILD_COMMIT
    # argument); /health and Sentry's release carry it with the version.
    build_commit: str | None = Field(default=None, pattern=r"^[0-9a-f]{7,40}$")

    # Abuse limits, checked before execution. The contract's deepest document
    # is well inside them; a client needing more is sending something odd.
    graphql_max_depth: int = Field(default=12, ge=4, le=50)
    graphql_max_aliases: int = Field(default=30, ge=1, le=1000)
    graphql_max_tokens: int = Field(default=4000, ge=100, le=100_000)
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)

    access_token_minutes: int = Field(default=15, ge=1, le=60)
    refresh_token_days: int = Field(default=7, ge=1, le=365)
    jwt_issuer: str = "prescripcare"
    jwt_audience: str = "prescripcare-api"

    # Argon2id cost; the defaults are RFC 9106's second recommended option.
    # Tests lower them (still Argon2id) so the suite stays fast.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)

    # Drug search: PostgreSQL pg_trgm unless a Meilisearch server is configured.
    meilisearch_url: str | None = None
    meilisearch_api_key: SecretStr | None = None
    meilisearch_index: str = Field(default="prescripcare_drugs", pattern=r"^[A-Za-z0-9_-]{1,100}$")
    # A search waits this long for Meilisearch, then PostgreSQL answers; after
    # a failure PostgreSQL answers alone for MEILISEARCH_RETRY_SECONDS.
    meilisearch_timeout_ms: int = Field(default=500, ge=50, le=30_000)
    meilisearch_retry_seconds: int = Field(default=30, ge=1, le=3600)

    # Doses exist this far ahead (extended by a periodic job), and a dose not
    # recorded this long after it fell due is MISSED.
    dose_horizon_days: int = Field(default=14, ge=14, le=90)
    dose_grace_minutes: int = Field(default=60, ge=1, le=1440)
    # A dose taken within this many minutes of its time counts as on time.
    on_time_minutes: int = Field(default=60, ge=1, le=720)
    # Reminders: how often due doses are scanned, how many tries a send gets,
    # and the link messages open (no drug name travels in SMS or push text).
    reminder_scan_seconds: int = Field(default=30, ge=5, le=300)
    reminder_max_attempts: int = Field(default=5, ge=1, le=20)
    # A claimed send not finished within this is taken again (its worker died).
    reminder_lease_seconds: int = Field(default=120, ge=1, le=3600)
    # A reminder is claimed and its text rendered this long before it falls
    # due, so its send starts at the due second (docs/reminders-throughput.md).
    reminder_lead_seconds: int = Field(default=15, ge=0, le=120)
    # Sends each worker process keeps in flight at once.
    reminder_concurrency: int = Field(default=32, ge=1, le=512)
    public_app_url: str = "https://app.prescripcare.example/doses"
    reminder_text_drug_names: bool = False
    # The language (BCP 47) of patients who have not chosen one, and of
    # e-mails to accounts without a patient record (docs/languages.md).
    default_language: str = "en"
    # How long a signed adherence-report link (adherenceReportLink) works.
    report_link_minutes: int = Field(default=5, ge=1, le=60)
    # Providers. Base URLs are scheme://host[:port] so tests can point the
    # real SDKs at local servers.
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    twilio_api_url: str | None = None
    sendgrid_api_key: SecretStr | None = None
    sendgrid_from_email: str | None = None
    sendgrid_api_url: str | None = None
    fcm_project_id: str | None = None
    fcm_service_account_file: str | None = None
    fcm_api_url: str | None = None
    # Each provider account's rate limit, sends per second across all
    # workers (a token bucket in Redis); 0: no limit of ours.
    twilio_max_per_second: float = Field(default=100, ge=0)
    sendgrid_max_per_second: float = Field(default=100, ge=0)
    fcm_max_per_second: float = Field(default=1000, ge=0)
    public_base_url: str | None = None
    # Browser origins (scheme://host[:port], comma-separated) allowed to call
    # the API cross-origin. Empty: none, except localhost in development.
    cors_origins: str = ""
    # A refill is due this many days before the supply runs out.
    refill_reminder_days: int = Field(default=7, ge=0, le=60)

    # Operations: pools, the read replica, logs, metrics, errors, backups.
    # Connections kept open per process, and the most it may hold at once.
    database_pool_min: int = Field(default=5, ge=1, le=500)
    database_pool_max: int = Field(default=20, ge=1, le=1000)
    # A statement running longer than this is cancelled by PostgreSQL (0: never).
    database_statement_timeout_ms: int = Field(default=30_000, ge=0)
    # A read replica for read-only GraphQL queries; the primary when unset.
    database_read_url: str | None = None
    # TLS to PostgreSQL for every client (app, migrate, backup, restore); see
    # dbtls.py. Unset: the URL's sslmode, else libpq's default (prefer).
    database_ssl: (
        Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] | None
    ) = None
    database_ssl_root_cert: str | None = None
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # /metrics on its own port (in-cluster scraping) and/or behind a bearer token.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_token: SecretStr | None = None
    sentry_traces_sample_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    backup_encryption_key: SecretStr | None = None
    # Off-cluster copies of `prescripcare backup` (backup/objectstore.py):
    # an S3 bucket, a key prefix, and for S3-compatible stores their endpoint.
    # Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID and
    # AWS_SECRET_ACCESS_KEY, a web identity, an instance role).
    backup_s3_bucket: str | None = None
    backup_s3_prefix: str = Field(default="dumps/", pattern=r"^([A-Za-z0-9!_.*'()-]+/)*$")
    backup_s3_endpoint_url: str | None = None
    backup_s3_region: str | None = None
    # A CA bundle for the store's TLS certificate (a private S3-compatible store).
    backup_s3_ca_bundle: str | None = None

    # API protection (docs/api-protection.md). The cost an operation may ask
    # for: every contract document with realistic variables costs well under
    # a tenth of it.
    graphql_max_cost: int = Field(default=5000, ge=100, le=1_000_000)
    # A mutation's response is replayed for a retry with the same
    # Idempotency-Key this long.
    idempotency_key_hours: int = Field(default=24, ge=1, le=168)
    # Accept only operations in the trusted-document manifests (comma-separated
    # JSON files; empty: the contract's documents shipped with the package).
    trusted_documents_only: bool = False
    trusted_documents_files: str = ""

    # Field encryption (docs/encryption.md). Keys retired by a rotation,
    # comma-separated, read until `prescripcare rotate-key` has re-encrypted
    # everything; and the key of the blind index behind e-mail and phone
    # lookups (derived from ENCRYPTION_KEY when unset).
    encryption_keys_old: SecretStr | None = None
    blind_index_key: SecretStr | None = None

    # Accounts: rate limits, password reset, two-factor authentication.
    # Rate limits live in Redis so every replica counts the same requests.
    # Unset: on in production, off in development. Each limit is "N/period"
    # (period s, m or h): N at once, then one more every period/N.
    rate_limit_enabled: bool | None = None
    rate_limit_ip: str = "600/1m"  # every request, per client IP
    rate_limit_account: str = "600/1m"  # every request, per signed-in account
    # login, register, refreshToken, password reset and 2FA fields, per IP.
    rate_limit_auth_ip: str = "30/1m"
    # Attempts on one account (login e-mail, 2FA viewer) from one IP, and
    # from everywhere together (bounds a distributed guesser).
    rate_limit_target_ip: str = "10/15m"
    rate_limit_target: str = "50/1h"
    # Reset e-mails one address may receive.
    rate_limit_reset_email: str = "3/1h"
    password_reset_minutes: int = Field(default=30, ge=5, le=24 * 60)
    # The page of the web app that takes the token (?token=... is appended).
    password_reset_url: str = "https://app.prescripcare.example/reset-password"
    two_factor_issuer: str = Field(default="PrescripCare", min_length=1, max_length=64)

    # Audit: how long a clinician's break-glass access to a patient lasts.
    break_glass_minutes: int = Field(default=240, ge=5, le=1440)

    # Developer experience: GraphiQL's scripts and styles, served from this
    # directory when `prescripcare graphiql-assets` has filled it (from the
    # CDN otherwise); an unauthenticated socket gets this long to send
    # connection_init before it is closed with 4408.
    graphiql_assets_dir: Path = Path(".prescripcare/graphiql-assets")
    graphql_ws_init_timeout_seconds: float = Field(default=10, gt=0, le=60)
    # Security: while a socket runs operations its session is
    # checked again this often (logout, disabled, erased, two-factor reset);
    # token expiry is watched every second without a query.
    graphql_ws_session_check_seconds: float = Field(default=10, gt=0, le=300)

    # Performance: parsed and validated GraphQL documents are kept
    # in bounded LRU caches: the clients send a few dozen fixed documents,
    # while unique texts from an attacker cannot grow memory past the bound.
    graphql_document_cache_size: int = Field(default=256, ge=1, le=10_000)
    # Query operations whose every field has an execution plan are answered
    # by the planner (prescripcare/plans) instead of field-by-field
    # resolution; off, every operation takes graphql-core's path.
    graphql_plans: bool = True
    # Prepared statements kept per database connection. 0 turns them off,
    # which PgBouncer in transaction pooling mode needs.
    db_statement_cache_size: int = Field(default=500, ge=0, le=10_000)
    # Check each pooled connection before use. Under SQLAlchemy's asyncpg
    # dialect the check is three round trips (BEGIN, ";", ROLLBACK) per
    # checkout, and every loader batch checks out. Off, a connection broken
    # by a database restart fails one request, and the pool is then renewed.
    db_pre_ping: bool = True

    @field_validator("database_url", "database_read_url")
    @classmethod
    def _plain_postgres_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = urlsplit(value).scheme
        if scheme not in ("postgresql", "postgres"):
            raise ValueError(
                "DATABASE_URL must be a plain postgresql:// URL (the driver is added internally)"
            )
        return value

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        from prescripcare.i18n.languages import normalize

        return normalize(value)

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        """Normalised networks; uvicorn would silently treat a typo (or a host
        part in a CIDR) as a literal that never matches."""
        networks = []
        for entry in filter(None, (e.strip() for e in value.split(","))):
            if entry == "*":
                raise ValueError(
                    "'*' would let any client choose the address rate limits and the audit "
                    "log see: list the proxies' addresses or networks (CIDR)"
                )
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or CIDR network") from None
            networks.append(
                str(network.network_address) if network.num_addresses == 1 else str(network)
            )
        return ",".join(networks)

    @property
    def trusted_proxies(self) -> list[str]:
        return [e for e in self.forwarded_allow_ips.split(",") if e]

    @field_validator("build_commit", mode="before")
    @classmethod
    def _no_commit(cls, value: object) -> object:
        # An image built without the argument has BUILD_COMMIT="".
        return value or None

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in filter(None, (o.strip() for o in value.split(","))):
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
                raise ValueError(f"CORS_ORIGINS: {origin!r} is not scheme://host[:port]")
        return value

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("REDIS_URL must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("meilisearch_url", "twilio_api_url", "sendgrid_api_url", "fcm_api_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
            raise ValueError("must be scheme://host[:port] with no path")
        return value.rstrip("/")

    @field_validator(
        "encryption_key", "encryption_keys_old", "blind_index_key", "backup_encryption_key"
    )
    @classmethod
    def _keys(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        """32 random bytes, URL-safe base64; ENCRYPTION_KEYS_OLD lists several."""
        if value is None or not value.get_secret_value().strip():
            return None
        name = (info.field_name or "key").upper()
        for part in value.get_secret_value().split(","):
            if part.strip():
                decode_key(part, name)
        return value

    @field_validator(
        "rate_limit_ip",
        "rate_limit_account",
        "rate_limit_auth_ip",
        "rate_limit_target_ip",
        "rate_limit_target",
        "rate_limit_reset_email",
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        from prescripcare.ratelimit.rate import Rate

        Rate.parse(value)
        return value

    @model_validator(mode="after")
    def _pool_bounds(self) -> Settings:
        if self.database_pool_max < self.database_pool_min:
            raise ValueError("DATABASE_POOL_MAX must be at least DATABASE_POOL_MIN")
        return self

    @model_validator(mode="after")
    def _database_tls(self) -> Settings:
        from prescripcare.dbtls import resolve

        for url in (self.database_url, self.database_read_url):
            if url:
                resolve(url, self.database_ssl, self.database_ssl_root_cert)
        return self

    @model_validator(mode="after")
    def _check_production(self) -> Settings:
        if not self.is_production:
            return self
        problems = []
        if not self.database_url:
            problems.append("DATABASE_URL is required in production")
        if not self.redis_url:
            problems.append("REDIS_URL is required in production")
        secret = self.jwt_secret.get_secret_value() if self.jwt_secret else ""
        if not secret:
            problems.append("JWT_SECRET is required in production")
        elif secret == DEV_JWT_SECRET or len(secret) < MIN_SECRET_LENGTH:
            problems.append(
                f"JWT_SECRET is weak: use at least {MIN_SECRET_LENGTH} random characters"
            )
        elif len(set(secret)) < 10:
            problems.append("JWT_SECRET is weak: too few distinct characters")
        if self.encryption_key is None:
            problems.append("ENCRYPTION_KEY is required in production (32 random bytes, base64)")
        elif self.encryption_key.get_secret_value() == DEV_ENCRYPTION_KEY:
            problems.append("ENCRYPTION_KEY is the development key: generate a random one")
        if self.argon2_memory_kib < 19456:
            problems.append("ARGON2_MEMORY_KIB below 19456 is too weak for production")
        problems.extend(self._provider_problems())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _provider_problems(self) -> list[str]:
        """A provider is configured completely or not at all: half a provider
        would turn a channel off without a word. Twilio also needs
        PUBLIC_BASE_URL, or its delivery failures never come back to us."""
        problems = []
        for provider, fields in PROVIDER_SETTINGS.items():
            given = [f for f in fields if getattr(self, f)]
            if given and len(given) < len(fields):
                missing = ", ".join(f.upper() for f in fields if f not in given)
                problems.append(f"{provider} is configured partly: set {missing} (or none)")
        if self.fcm_project_id and not self.fcm_service_account_file:
            problems.append("FCM (push) is configured partly: set FCM_SERVICE_ACCOUNT_FILE")
        if self.twilio_account_sid and not self.public_base_url:
            problems.append("PUBLIC_BASE_URL is required with Twilio (delivery status callbacks)")
        return problems

    @model_validator(mode="after")
    def _rotation_keeps_lookups(self) -> Settings:
        # A derived blind-index key changes with ENCRYPTION_KEY: once an old
        # key is listed, every e-mail lookup (login) would quietly miss.
        if self.encryption_keys_old is not None and self.blind_index_key is None:
            raise ValueError(
                "ENCRYPTION_KEYS_OLD is set but BLIND_INDEX_KEY is not: set BLIND_INDEX_KEY to "
                "the key in use before the rotation (`prescripcare blind-index-key` with the old "
                "ENCRYPTION_KEY prints it), or logins will fail"
            )
        return self

    @property
    def is_production(self) -> bool:
        return self.prescripcare_env == "production"

    @property
    def rate_limits_on(self) -> bool:
        if self.rate_limit_enabled is None:
            return self.is_production
        return self.rate_limit_enabled

    @property
    def dose_horizon(self) -> timedelta:
        return timedelta(days=self.dose_horizon_days)

    @property
    def dose_grace(self) -> timedelta:
        return timedelta(minutes=self.dose_grace_minutes)

    @property
    def report_link(self) -> timedelta:
        return timedelta(minutes=self.report_link_minutes)

    @property
    def break_glass(self) -> timedelta:
        return timedelta(minutes=self.break_glass_minutes)

    @property
    def signing_secret(self) -> str:
        return self.jwt_secret.get_secret_value() if self.jwt_secret else DEV_JWT_SECRET

    def require_database_url(self) -> str:
        if not self.database_url:
            raise SettingsError("DATABASE_URL is not set (or run `prescripcare dev`)")
        return self.database_url

    def require_redis_url(self) -> str:
        if not self.redis_url:
            raise SettingsError("REDIS_URL is not set (or run `prescripcare dev`)")
        return self.redis_url


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one clear message."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]).upper() or "settings"
            lines.append(f"{where}: {err['msg']}")
        raise SettingsError("invalid settings: " + "; ".join(lines)) from None
