"""Configuration: environment variables only (prefix ``ASPE_``), read here and nowhere else.

The embedded default needs none of them: a SQLite store under ``./var``. Rule parameters
that differ between départements default to the values of the cahier des charges.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from aspe.domain.rules import RuleParameters

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-change-me"
CLOCK_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
"""A time of day, ``HH:MM`` (24 h), at which Celery beat runs a clock."""
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class Environment(Enum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Everything ASPE reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="ASPE_", frozen=True)

    env: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None,
        description="postgresql://user@host:port/dbname, or sqlite:///path; "
        "default: a SQLite file under ASPE_DATA_DIR",
    )
    database_schema: str | None = Field(
        default=None, description="PostgreSQL schema for the event store and read models"
    )
    redis_url: str | None = None
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET_KEY)
    snapshot_interval: int = Field(default=50, ge=1)
    aggregate_cache_size: int = Field(
        default=1000,
        ge=0,
        description="aggregates kept in memory per process (0: none); each load still reads "
        "the events stored since, so several processes stay correct",
    )
    projection_batch_size: int = Field(
        default=5000, ge=1, description="events per transaction when read models catch up"
    )
    projection_rebuild_batch_size: int = Field(
        default=20_000, ge=1, description="events per transaction when read models are rebuilt"
    )
    projection_poll_interval: float = Field(
        default=0.25, gt=0, description="seconds between looks at a SQLite store for new events"
    )
    read_your_writes_timeout: float = Field(
        default=2.0, gt=0, description="seconds a reader waits for a read model to catch up"
    )
    projections_in_process: bool | None = Field(
        default=None,
        description="keep read models up to date in the API process (default: with SQLite "
        "only; with PostgreSQL, `aspe projections run` processes do it)",
    )
    token_ttl_minutes: int = Field(
        default=480, ge=1, description="lifetime of the tokens that `login` signs"
    )
    session_max_age_minutes: int = Field(
        default=480,
        ge=1,
        description="lifetime of a portal session cookie; the session ends sooner when the "
        "token it holds expires (ASPE_TOKEN_TTL_MINUTES)",
    )
    session_cookie_secure: bool | None = Field(
        default=None,
        description="send the portal's session cookie over HTTPS only (default: in production)",
    )
    oidc_issuer: str | None = Field(
        default=None,
        description="production may trust tokens of this OIDC issuer (keys from its JWKS)",
    )
    oidc_audience: str | None = Field(default=None, description="the audience its tokens name")
    graphql_max_depth: int = Field(default=10, ge=1)
    graphql_max_tokens: int = Field(default=2000, ge=1)
    graphql_max_aliases: int = Field(default=15, ge=0)
    graphql_max_cost: int = Field(
        default=10_000, ge=1, description="bound on the objects a query may ask for"
    )
    graphql_max_page_size: int = Field(default=100, ge=1)
    max_request_bytes: int = Field(default=64 * 1024, ge=1024)
    blob_dir: Path | None = Field(
        default=None,
        description="where uploaded documents are stored, one file per SHA-256; "
        "default: ASPE_DATA_DIR/blobs",
    )
    upload_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1, description="largest document a person may upload"
    )
    upload_media_types: tuple[str, ...] = Field(
        default=("application/pdf", "image/jpeg", "image/png"),
        description='media types a document may have (JSON list: ["application/pdf"])',
    )
    postgres_pool_size: int = Field(default=5, ge=1)
    postgres_max_overflow: int = Field(default=10, ge=0)
    postgres_connect_timeout: int = Field(default=5, ge=1, description="seconds")

    simple_home_visits_per_week: int = Field(default=1, ge=0)
    simple_visits_per_week: int = Field(default=1, ge=0)
    reinforced_home_visits_per_week: int = Field(default=2, ge=0)
    reinforced_visits_per_week: int = Field(default=3, ge=0)
    silent_days_before_alert: int = Field(default=14, ge=1)
    reminder_days_before_end: int = Field(default=30, ge=0)
    previous_referent_access_days: int = Field(default=30, ge=0)

    # The regulatory clocks on Celery beat (aspe/workers/schedule.py): times of day "HH:MM"
    # in the Celery app's timezone. Completion runs after midnight UTC and Paris time alike.
    completion_at: str = Field(
        default="03:00", pattern=CLOCK_TIME, description="daily completion of ended measures"
    )
    detector_at: str = Field(
        default="06:00", pattern=CLOCK_TIME, description="daily non-collaboration detector (R7)"
    )
    reminders_at: str = Field(
        default="07:00", pattern=CLOCK_TIME, description="daily reminders before measures end"
    )
    digest_day: Weekday = Field(
        default="monday", description="day of the weekly compliance digest to referents (R4)"
    )
    digest_at: str = Field(
        default="07:30", pattern=CLOCK_TIME, description="time of the weekly compliance digest"
    )

    # Notifications (aspe/workers/delivery.py): e-mail over SMTP, retried with backoff.
    smtp_url: str | None = Field(
        default=None,
        pattern=r"^smtps?://",
        description="smtp://user:password@host:port (smtps:// for TLS from the start); "
        "default: .eml files in ASPE_DATA_DIR/outbox",
    )
    smtp_starttls: bool = Field(default=False, description="STARTTLS after connecting")
    smtp_timeout: float = Field(default=10.0, gt=0, description="seconds per SMTP operation")
    mail_from: str = Field(
        default="ASPE <notifications@aspe.localhost>", description="sender of the e-mails"
    )
    delivery_max_retries: int = Field(
        default=8, ge=0, description="retries of a delivery before it is recorded as failed"
    )
    delivery_retry_backoff: int = Field(
        default=2, ge=1, description="seconds before the first retry; doubles on each one"
    )
    delivery_retry_backoff_max: int = Field(
        default=600, ge=1, description="longest wait between two retries, in seconds"
    )
    delivery_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="an e-mail being sent for longer is presumed lost with its worker, and "
        "sent again",
    )
    delivery_requeue_after: float = Field(
        default=300.0,
        gt=0,
        description="seconds after which a delivery still pending is queued again "
        "(its task was lost with the broker)",
    )
    broker_visibility_timeout: float = Field(
        default=3600.0,
        gt=0,
        description="seconds before a task taken by a worker that died is given to another",
    )
    celery_queue: str = Field(
        default="aspe", description="the Celery queue of ASPE's tasks (one per deployment)"
    )
    timezone: str = Field(
        default="Europe/Paris", description="Celery's timezone (the clocks' times of day)"
    )

    @model_validator(mode="after")
    def _refuse_default_secret_outside_development(self) -> Settings:
        if (
            self.env is Environment.PRODUCTION
            and self.secret_key.get_secret_value() == DEVELOPMENT_SECRET_KEY
        ):
            raise ValueError("ASPE_SECRET_KEY must be set outside development")
        return self

    @property
    def rules(self) -> RuleParameters:
        return RuleParameters(
            simple_visits_per_week=self.simple_visits_per_week,
            simple_home_visits_per_week=self.simple_home_visits_per_week,
            reinforced_visits_per_week=self.reinforced_visits_per_week,
            reinforced_home_visits_per_week=self.reinforced_home_visits_per_week,
            silent_days_before_alert=self.silent_days_before_alert,
            reminder_days_before_end=self.reminder_days_before_end,
            previous_referent_access_days=self.previous_referent_access_days,
        )

    @property
    def blob_path(self) -> Path:
        """The folder of the uploaded documents' contents."""
        return self.blob_dir if self.blob_dir is not None else self.data_dir / "blobs"

    @property
    def runs_projections_in_process(self) -> bool:
        if self.projections_in_process is not None:
            return self.projections_in_process
        return not self.uses_postgres

    @property
    def secure_cookies(self) -> bool:
        if self.session_cookie_secure is not None:
            return self.session_cookie_secure
        return self.is_production

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def uses_postgres(self) -> bool:
        return self.database_url is not None and self.database_url.startswith("postgres")

    def sqlite_path(self, name: str = "events") -> Path:
        """The SQLite file of the store named ``name`` (one file per application)."""
        if self.database_url and self.database_url.startswith("sqlite:///"):
            base = Path(self.database_url.removeprefix("sqlite:///"))
            return base if name == "events" else base.with_name(f"{base.stem}-{name}.sqlite")
        return self.data_dir / f"{name}.sqlite"

    def eventsourcing_env(self, name: str = "events") -> dict[str, str]:
        """The ``env`` mapping the eventsourcing library reads, built from these settings."""
        return {**self._cache_env(), **self._store_env(name)}

    def _cache_env(self) -> dict[str, str]:
        if not self.aggregate_cache_size:
            return {}
        return {
            "AGGREGATE_CACHE_MAXSIZE": str(self.aggregate_cache_size),
            "AGGREGATE_CACHE_FASTFORWARD": "y",
        }

    def _store_env(self, name: str) -> dict[str, str]:
        if not self.uses_postgres:
            path = self.sqlite_path(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
        assert self.database_url is not None
        url = urlsplit(self.database_url)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.path.lstrip("/") or "postgres",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_POOL_SIZE": str(self.postgres_pool_size),
            "POSTGRES_MAX_OVERFLOW": str(self.postgres_max_overflow),
            "POSTGRES_CONNECT_TIMEOUT": str(self.postgres_connect_timeout),
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        }
        if self.database_schema:
            env["POSTGRES_SCHEMA"] = self.database_schema
        return env
