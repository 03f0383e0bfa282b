"""Settings, from `EENPLAN_*` environment variables. One object, validated at start-up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EENPLAN_", extra="ignore")

    mode: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./var/eenplan.db"
    data_dir: Path = Path("var")
    pool_size: int = Field(default=5, ge=1, le=200)
    pool_max_overflow: int = Field(default=10, ge=0, le=500)
    pool_timeout_seconds: float = Field(default=5.0, gt=0)
    connect_timeout_seconds: int = Field(default=5, ge=1)
    lock_timeout_seconds: int = Field(default=5, ge=0)
    # PostgreSQL: one plan's writers in different API processes take turns (api/planlocks.py).
    # Costs a lock round trip per command; a single API process may turn it off.
    plan_locks: bool = True

    jwt_issuer: str = "eenplan-dev"
    jwt_audience: str = "eenplan"
    jwt_public_key_file: Path | None = None
    jwt_algorithms: list[Literal["RS256", "ES256"]] = ["RS256", "ES256"]
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    # A JWKS (RFC 7517) from the identity provider: a file, or a URL fetched and cached.
    jwks_file: Path | None = None
    jwks_url: str | None = None
    jwks_refresh_seconds: int = Field(default=300, ge=1, le=86_400)
    # Token claims are checked against the directory; its look-ups are cached this long, so a
    # professional who leaves or moves stops matching within it on every API process (0: no cache).
    directory_cache_seconds: float = Field(default=5.0, ge=0, le=300)

    # Idempotency keys: kept this long, then purged (hourly, and by `eenplan purge-keys`).
    idempotency_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    # A duplicate waits this long for the first request's answer before a 409 "in progress".
    idempotency_wait_seconds: float = Field(default=10.0, gt=0, le=120)
    # A claim without an answer after this long is taken as crashed and resolved from the events.
    idempotency_stale_seconds: float = Field(default=30.0, gt=0)
    idempotency_purge_interval_seconds: float = Field(default=3600.0, gt=0)

    # The change feed polls the notification log this often, and sends a heartbeat when idle.
    changes_poll_seconds: float = Field(default=0.5, gt=0, le=10)
    changes_heartbeat_seconds: float = Field(default=15.0, gt=0, le=300)

    # The address clients reach this server at: processing-log lines name their processing
    # activity by a URI under it (`{public_url}/privacy/activities/{version}/{id}`).
    public_url: str = Field(default="http://localhost:8000", pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")

    max_body_bytes: int = Field(default=1_000_000, ge=1_000)
    # An idle keep-alive connection is closed after this long. Longer than a load balancer's or a
    # partner's connection pool's idle time (often 60 s), so the server is never the side that
    # closes a connection just as a client sends on it: that client would get no answer at all.
    keep_alive_seconds: int = Field(default=75, ge=1, le=3600)
    # Browser frontends on these origins may call the API (CORS), comma-separated, each
    # scheme://host[:port]; none by default, and no wildcard: an allow-list.
    cors_origins: str = ""
    # Answers at least this large are gzipped when the client sends `Accept-Encoding: gzip`.
    gzip_minimum_bytes: int = Field(default=1_000, ge=0)
    log_level: str = "INFO"
    log_json: bool = True
    # Telemetry exporters, comma-separated: prometheus (text on GET /metrics), otlp (OTLP/HTTP
    # push of traces and metrics), console (stderr; for debugging). Empty: none.
    telemetry_exporters: str = "prometheus"
    # A span per SQL statement (psycopg instrumentation): off by default, as it costs several
    # percent of each command's CPU; command spans, HTTP spans and metrics are always on.
    telemetry_sql_spans: bool = False
    # OTLP/HTTP base URL, e.g. http://collector:4318; unset: OTEL_EXPORTER_OTLP_* or the default.
    otlp_endpoint: str | None = None

    # Early signals, on the Verwijsindex terms: persons are found by an HMAC under this key, never
    # by name or BSN in clear; a signal is active this many days, then erased; signals match
    # when they fall within the window.
    signal_key: SecretStr = SecretStr("development-only-signal-key")
    signal_active_days: int = Field(default=730, ge=1)
    signal_match_window_days: int = Field(default=365, ge=1)

    # Privacy: the master key (base64, 32 bytes or more) wraps every data key; production needs one.
    master_key: SecretStr | None = None
    privacy_policy_file: Path | None = None
    # Who may issue which plan command; by default src/privacy/write-policy.yaml.
    write_policy_file: Path | None = None
    emergency_access_hours: float = Field(default=4.0, gt=0, le=72)
    # A break-the-glass grant not reviewed by a privacy officer this many days after it was made is
    # overdue: listed as such and counted in /metrics. Fractions are allowed (0.5: twelve hours).
    emergency_review_days: float = Field(default=5.0, gt=0, le=90)
    retention_jeugdwet_years: int = Field(default=20, ge=1)
    retention_wmo_years: int = Field(default=15, ge=1)
    # The server applies the retention terms by itself this often (one process at a time).
    retention_interval_seconds: float = Field(default=86_400.0, gt=0)
    # An erasure waits this long for old row versions to leave the store's files (a reader may
    # hold them), then answers 202 "pending"; pending erasures are retried this often.
    erasure_wait_seconds: float = Field(default=10.0, ge=0, le=120)
    erasure_retry_seconds: float = Field(default=60.0, gt=0)
    # Unwrapped data keys each process keeps (LRU); each request checks them against the store's
    # key generation once, so an erasure in any process is honoured by the next request.
    key_cache_size: int = Field(default=10_000, ge=0, le=10_000_000)

    # Projections (src/projections): run in `eenplan serve`, or in `eenplan project run` workers.
    projections_in_process: bool = True
    projection_poll_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    projection_batch_size: int = Field(default=500, ge=1, le=10_000)
    # Test-only: sleep per applied event, so a test can kill a worker in the middle of a batch.
    projection_apply_delay_seconds: float = Field(default=0.0, ge=0, le=5)
    read_your_writes_timeout_seconds: float = Field(default=5.0, ge=0, le=60)
    # PostgreSQL only: a streaming replica of DATABASE_URL that serves the projection reads (GET
    # /plans, /caseload, dashboards, monitoring) and their `?min_position=` waits, on read-only
    # sessions. Writes, the event store and everything else stay on DATABASE_URL. Unset: all on it.
    read_database_url: str | None = None

    # The console at /console (api/http/console): signed in through the organisation's OpenID
    # Connect provider (authorization code with PKCE). The issuer's discovery document is read at
    # ISSUER/.well-known/openid-configuration; its id_tokens carry the API's claims (org, tenants,
    # roles). Without an issuer only the development sign-in exists (development mode only).
    console_oidc_issuer: str | None = None
    console_oidc_client_id: str | None = None
    console_oidc_client_secret: SecretStr | None = None
    # Where the provider sends the browser back; default: this server's /console/oidc/terug.
    console_oidc_redirect_url: str | None = None
    console_oidc_scopes: str = "openid profile"
    # A console session lasts this long after sign-in, whatever the id_token's own expiry.
    console_session_hours: float = Field(default=8.0, gt=0, le=24)

    @property
    def is_production(self) -> bool:
        return self.mode == "production"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql:", "postgres:"))

    @property
    def dev_signing_key_file(self) -> Path:
        return self.data_dir / "dev-signing-key.pem"

    @property
    def dev_master_key_file(self) -> Path:
        return self.data_dir / "dev-master-key"

    @field_validator("telemetry_exporters")
    @classmethod
    def _known_exporters(cls, value: str) -> str:
        unknown = {e.strip() for e in value.split(",") if e.strip()} - {"prometheus", "otlp", "console"}
        if unknown:
            raise ValueError(f"unknown telemetry exporters {sorted(unknown)}; use prometheus, otlp, console")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in (o.strip() for o in value.split(",") if o.strip()):
            if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?", origin):
                raise ValueError(
                    f"a CORS origin is scheme://host[:port], without a path or wildcard: {origin!r}"
                )
        return value

    @property
    def allowed_origins(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def exporters(self) -> set[str]:
        return {e.strip() for e in self.telemetry_exporters.split(",") if e.strip()}

    @model_validator(mode="after")
    def _production_needs_real_keys(self) -> Settings:
        if not self.is_production:
            return self
        if self.jwt_public_key_file is None and self.jwks_file is None and self.jwks_url is None:
            raise ValueError(
                "production mode needs EENPLAN_JWKS_URL, EENPLAN_JWKS_FILE or EENPLAN_JWT_PUBLIC_KEY_FILE"
            )
        if self.master_key is None:
            raise ValueError("production mode needs EENPLAN_MASTER_KEY (base64 of 32 random bytes)")
        if self.jwt_issuer == "eenplan-dev":
            raise ValueError("production mode needs a real EENPLAN_JWT_ISSUER")
        return self

    @model_validator(mode="after")
    def _console_oidc_complete(self) -> Settings:
        if self.console_oidc_issuer and not self.console_oidc_client_id:
            raise ValueError("EENPLAN_CONSOLE_OIDC_ISSUER needs EENPLAN_CONSOLE_OIDC_CLIENT_ID")
        if self.console_oidc_issuer and not self.console_oidc_issuer.startswith(("https://", "http://")):
            raise ValueError("EENPLAN_CONSOLE_OIDC_ISSUER must be an http(s) URL")
        return self

    @model_validator(mode="after")
    def _read_replica_of_postgres(self) -> Settings:
        # The URL may carry a password: the messages never repeat it.
        if not self.read_database_url:
            return self
        if not self.is_postgres:
            raise ValueError(
                "EENPLAN_READ_DATABASE_URL needs EENPLAN_DATABASE_URL on PostgreSQL: it names a streaming "
                "replica of that database, and a SQLite store has none; unset it"
            )
        if urlsplit(self.read_database_url).scheme not in ("postgresql", "postgres"):
            raise ValueError(
                "EENPLAN_READ_DATABASE_URL must be a postgresql:// URL of a streaming replica of "
                "EENPLAN_DATABASE_URL"
            )
        return self

    @model_validator(mode="after")
    def _production_needs_signal_key(self) -> Settings:
        if self.is_production and self.signal_key.get_secret_value().startswith("development-only"):
            raise ValueError("production mode needs a real EENPLAN_SIGNAL_KEY")
        return self

    def store_env(self) -> dict[str, str]:
        """The `eventsourcing` environment for the configured store."""
        url = urlsplit(self.database_url)
        if url.scheme == "sqlite":
            # sqlite:///relative/path or sqlite:////absolute/path, as SQLAlchemy spells it.
            path = Path(unquote(self.database_url.removeprefix("sqlite:///")))
            path.parent.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(path),
                "SQLITE_LOCK_TIMEOUT": str(self.lock_timeout_seconds or 5),
                # The audit hash chain is written with the events, in the same transaction.
                "APPLICATION_RECORDER_TOPIC": "eenplan.api.store.chain:ChainedSQLiteRecorder",
            }
        if url.scheme in ("postgresql", "postgres"):
            return {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": url.path.lstrip("/") or "eenplan",
                "POSTGRES_HOST": url.hostname or "127.0.0.1",
                "POSTGRES_PORT": str(url.port or 5432),
                "POSTGRES_USER": unquote(url.username or "postgres"),
                "POSTGRES_PASSWORD": unquote(url.password or ""),
                "POSTGRES_POOL_SIZE": str(self.pool_size),
                "POSTGRES_MAX_OVERFLOW": str(self.pool_max_overflow),
                "POSTGRES_MAX_WAITING": "0",
                "POSTGRES_CONNECT_TIMEOUT": str(self.connect_timeout_seconds),
                "POSTGRES_LOCK_TIMEOUT": str(self.lock_timeout_seconds),
                "POSTGRES_PRE_PING": "y",
                "POSTGRES_CONN_MAX_AGE": "600",
                # The audit hash chain is written with the events, in the same transaction.
                "APPLICATION_RECORDER_TOPIC": "eenplan.api.store.chain:ChainedPostgresRecorder",
            }
        raise ValueError(f"EENPLAN_DATABASE_URL must be sqlite:/// or postgresql://, not {url.scheme}")
