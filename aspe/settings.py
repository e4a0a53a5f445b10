"""Configuration: environment variables only (prefix ``ASPE_``), read here and nowhere else.

The embedded default needs none of them: a SQLite store under ``./var``. Rule parameters
that differ between départements default to the values of the cahier des charges.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import tempfile
import threading
from dataclasses import fields
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from aspe.domain.bounds import DEFAULT_BOUNDS, InputBounds
from aspe.domain.rules import DEFAULT_RULES, RuleParameters
from aspe.files import private_sqlite

MIN_SECRET_KEY_BYTES = 32
"""The shortest ``ASPE_SECRET_KEY`` production accepts (HS256 wants a key of 256 bits)."""
MIN_METRICS_TOKEN_LENGTH = 16
"""The shortest ``ASPE_METRICS_TOKEN`` accepted."""
SECRET_KEY_FILE = "secret_key"
"""Outside production, the key generated once per data directory lives in this file."""
CLOCK_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
"""A time of day, ``HH:MM`` (24 h), at which Celery beat runs a clock."""
CHECKPOINT_KEY_PURPOSE = b"aspe audit checkpoint signing key"
"""What derives the checkpoints' key from the signing key (HMAC-SHA256's message)."""
CHAINED_RECORDERS = {
    "sqlite": "aspe.audit.recorders:ChainedSQLiteApplicationRecorder",
    "postgres": "aspe.audit.recorders:PreparedPostgresApplicationRecorder",
}
"""The event store's application recorders (topics): each event linked as it is stored."""
EVENT_STORE_FACTORY = "aspe.audit.recorders:AspePostgresFactory"
"""The event store's persistence on PostgreSQL: the library's, its tables created one
process at a time."""
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

# What most settings are; a value outside is refused when the settings are read.
AtLeastOne = Annotated[int, Field(ge=1)]
NoneOrMore = Annotated[int, Field(ge=0)]
Seconds = Annotated[float, Field(gt=0)]
ClockTime = Annotated[str, Field(pattern=CLOCK_TIME)]
Parameters = TypeVar("Parameters")


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
    secret_key: SecretStr | None = Field(
        default=None,
        description="signs tokens and the portal's cookies; read it through "
        "`signing_key()`. Production: required, at least 32 bytes; otherwise, by default, "
        "a random key generated once in ASPE_DATA_DIR/secret_key",
    )
    audit_signing_key: SecretStr | None = Field(
        default=None,
        description="Ed25519 private key (its 32-byte seed, base64) that signs the audit "
        "checkpoints; read it through `checkpoint_seed()`. Default: derived from the "
        "signing key (ASPE_SECRET_KEY or the generated one)",
    )
    master_key: SecretStr | None = Field(
        default=None,
        description="AES key (32 bytes, base64) that wraps each household's data key in the "
        "store: a copy of the database alone then opens no personal value. Default: none "
        "(the keys are stored as they are; the store's own access rights protect them)",
    )
    snapshot_interval: AtLeastOne = 50
    aggregate_cache_size: NoneOrMore = Field(
        default=1000,
        description="aggregates kept in memory per process (0: none); each load still reads "
        "the events stored since, so several processes stay correct",
    )
    projection_batch_size: AtLeastOne = Field(
        default=5000, description="events per transaction when read models catch up"
    )
    projection_rebuild_batch_size: AtLeastOne = Field(
        default=20_000, description="events per transaction when read models are rebuilt"
    )
    projection_poll_interval: Seconds = Field(
        default=0.25, description="seconds between looks at a SQLite store for new events"
    )
    read_your_writes_timeout: Seconds = Field(
        default=2.0, description="seconds a reader waits for a read model to catch up"
    )
    projections_in_process: bool | None = Field(
        default=None,
        description="keep read models up to date in the API process (default: with SQLite "
        "only; with PostgreSQL, `aspe projections run` processes do it)",
    )
    clocks_in_process: bool | None = Field(
        default=None,
        description="run the clocks' schedule in the API process (default: without Redis, "
        "outside tests; with Redis, `aspe beat` and `aspe worker` do it)",
    )
    token_ttl_minutes: AtLeastOne = Field(
        default=480, description="lifetime of the tokens that `login` signs"
    )
    session_max_age_minutes: AtLeastOne = Field(
        default=480,
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
    oidc_audience: str | None = Field(
        default=None, description="the audience its tokens must name (required with an issuer)"
    )
    login_max_failures_per_account: AtLeastOne = Field(
        default=5, description="failed logins for one e-mail before it is locked out"
    )
    login_max_failures_per_address: AtLeastOne = Field(
        default=20, description="failed logins from one client address before it is locked out"
    )
    login_lockout_seconds: Seconds = Field(
        default=60.0, description="the first lockout; each failure after it doubles it"
    )
    login_lockout_max_seconds: Seconds = Field(default=3600.0, description="the longest lockout")
    login_failure_window_seconds: Seconds = Field(
        default=900.0,
        description="failures are forgotten this long after the last one (or after the "
        "lockout ends)",
    )
    password_hash_slots: AtLeastOne = Field(
        default=4,
        description="argon2 hashes computed at once per process (each takes its memory cost, "
        "64 MiB)",
    )
    password_hash_wait_seconds: Seconds = Field(
        default=1.0,
        description="how long a login waits for a free hashing slot before it is refused "
        "(SERVER_BUSY)",
    )
    graphql_max_depth: AtLeastOne = 10
    graphql_max_tokens: AtLeastOne = 2000
    graphql_max_aliases: NoneOrMore = 15
    graphql_max_cost: AtLeastOne = Field(
        default=10_000, description="bound on the objects a query may ask for"
    )
    graphql_max_page_size: AtLeastOne = 100
    max_request_bytes: int = Field(default=64 * 1024, ge=1024)
    blob_dir: Path | None = Field(
        default=None,
        description="where uploaded documents are stored, one file per SHA-256; "
        "default: ASPE_DATA_DIR/blobs",
    )
    upload_max_bytes: AtLeastOne = Field(
        default=10 * 1024 * 1024, description="largest document a person may upload"
    )
    upload_media_types: tuple[str, ...] = Field(
        default=("application/pdf", "image/jpeg", "image/png"),
        description='media types a document may have (JSON list: ["application/pdf"])',
    )
    postgres_pool_size: AtLeastOne = Field(
        default=1,
        description="PostgreSQL connections each pool keeps open when idle (a process has "
        "several pools: its events, its read models, its notifications…)",
    )
    postgres_max_overflow: NoneOrMore = Field(
        default=10, description="connections a pool may open beyond those under load"
    )
    postgres_connect_timeout: AtLeastOne = Field(default=5, description="seconds")

    # Bounds on what a command may store (aspe/domain/bounds.py, their defaults there):
    # refused with INVALID_INPUT.
    max_text_length: int = Field(
        default=DEFAULT_BOUNDS.max_text_length,
        ge=200,
        description="characters of any one text a command stores",
    )
    max_measure_months: AtLeastOne = Field(
        default=DEFAULT_BOUNDS.max_measure_months,
        description="longest measure, extensions included (months)",
    )
    max_suspension_days: AtLeastOne = Field(
        default=DEFAULT_BOUNDS.max_suspension_days,
        description="longest suspension of the non-collaboration clock (R7)",
    )
    date_window_past_years: AtLeastOne = Field(
        default=DEFAULT_BOUNDS.date_window_past_years,
        description="a date a command stores is at most this many years past",
    )
    date_window_future_years: AtLeastOne = Field(
        default=DEFAULT_BOUNDS.date_window_future_years,
        description="and at most this many years ahead",
    )

    # Rule parameters (aspe/domain/rules.py): the domain's defaults, the cahier des charges'.
    simple_home_visits_per_week: NoneOrMore = DEFAULT_RULES.simple_home_visits_per_week
    simple_visits_per_week: NoneOrMore = DEFAULT_RULES.simple_visits_per_week
    reinforced_home_visits_per_week: NoneOrMore = DEFAULT_RULES.reinforced_home_visits_per_week
    reinforced_visits_per_week: NoneOrMore = DEFAULT_RULES.reinforced_visits_per_week
    silent_days_before_alert: AtLeastOne = DEFAULT_RULES.silent_days_before_alert
    reminder_days_before_end: NoneOrMore = DEFAULT_RULES.reminder_days_before_end
    previous_referent_access_days: NoneOrMore = DEFAULT_RULES.previous_referent_access_days
    commission_session_day: Weekday = Field(
        default="thursday",
        description="the day the FPEL commission meets each week: the SPSLH registers a "
        "request on one of its next sessions (or on any later day, for a special session)",
    )
    commission_sessions_offered: AtLeastOne = Field(
        default=8, description="how many of the commission's next sessions are offered"
    )

    # The regulatory clocks on Celery beat (aspe/workers/schedule.py): times of day "HH:MM"
    # in the Celery app's timezone. Completion runs after midnight UTC and Paris time alike.
    completion_at: ClockTime = Field(
        default="03:00", description="daily completion of ended measures"
    )
    detector_at: ClockTime = Field(
        default="06:00", description="daily non-collaboration detector (R7)"
    )
    reminders_at: ClockTime = Field(
        default="07:00", description="daily reminders before measures end"
    )
    digest_day: Weekday = Field(
        default="monday", description="day of the weekly compliance digest to referents (R4)"
    )
    digest_at: ClockTime = Field(
        default="07:30", description="time of the weekly compliance digest"
    )
    retention_at: ClockTime = Field(
        default="02:30", description="daily retention clock: archives and erasures due"
    )

    # Retention of personal data (aspe/privacy/retention.py), after the CNIL's framework
    # for social support: a closed case is archived, then its household erased.
    archive_after_months: AtLeastOne = Field(
        default=24,
        description="months after a case closes before it is archived (then only the "
        "auditor and its association's manager read it, saying why)",
    )
    erase_after_years: AtLeastOne = Field(
        default=5,
        description="years after a household's last case closed (or its registration, "
        "without one) before its personal data is erased, unless under legal hold",
    )

    # Notifications (aspe/workers/delivery.py): e-mail over SMTP, retried with backoff.
    smtp_url: str | None = Field(
        default=None,
        pattern=r"^smtps?://",
        description="smtp://user:password@host:port (smtps:// for TLS from the start); "
        "default: .eml files in ASPE_DATA_DIR/outbox",
    )
    smtp_starttls: bool = Field(default=False, description="STARTTLS after connecting")
    smtp_timeout: Seconds = Field(default=10.0, description="seconds per SMTP operation")
    smtp_keep_alive_seconds: float = Field(
        default=30.0,
        ge=0,
        description="seconds a worker keeps its SMTP connection open between e-mails "
        "(one connection per worker process, reused); 0: a connection per e-mail",
    )
    mail_from: str = Field(
        default="ASPE <notifications@aspe.localhost>", description="sender of the e-mails"
    )
    delivery_max_retries: NoneOrMore = Field(
        default=8, description="retries of a delivery before it is recorded as failed"
    )
    delivery_retry_backoff: AtLeastOne = Field(
        default=2, description="seconds before the first retry; doubles on each one"
    )
    delivery_retry_backoff_max: AtLeastOne = Field(
        default=600, description="longest wait between two retries, in seconds"
    )
    delivery_lease_seconds: Seconds = Field(
        default=60.0,
        description="an e-mail being sent for longer is presumed lost with its worker, and "
        "sent again",
    )
    delivery_requeue_after: Seconds = Field(
        default=300.0,
        description="seconds after which a delivery still pending is queued again "
        "(its task was lost with the broker)",
    )
    broker_visibility_timeout: Seconds = Field(
        default=3600.0,
        description="seconds before a task taken by a worker that died is given to another",
    )
    celery_queue: str = Field(
        default="aspe", description="the Celery queue of ASPE's tasks (one per deployment)"
    )
    # The access log (aspe/access_log): who read which case, kept this long, then purged.
    access_log_retention_months: AtLeastOne = Field(
        default=12,
        description="months an entry of the access log is kept (aspe privacy access-log purge)",
    )
    # Health and logs (aspe/health, aspe/logs): readiness bounds, the log lines' format.
    ready_max_lag: NoneOrMore = Field(
        default=1000,
        description="events a read model may be behind the store's head and still be ready "
        "(/readyz, aspe status)",
    )
    ready_check_timeout: float = Field(
        default=2.0,
        gt=0,
        le=10,
        description="seconds each readiness check may take before it counts as failing",
    )
    log_format: Literal["json", "text"] | None = Field(
        default=None,
        description="json: one JSON object per line; text: for people (default: json in "
        "production, text elsewhere)",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="the least severe log lines written"
    )

    # topology (aspe up): the processes `aspe up` starts and supervises (aspe/topology.py).
    api_processes: AtLeastOne = Field(
        default=1,
        description="API processes (`aspe serve`); only one on the embedded SQLite store",
    )
    api_host: str = Field(default="127.0.0.1", description="address the API processes listen on")
    api_port: int = Field(
        default=8000,
        ge=1,
        le=65535,
        description="port of the first API process; process i listens on api_port + i - 1",
    )
    runner_processes: AtLeastOne = Field(
        default=1,
        description="read-model runners (`aspe projections run`), the read models shared out "
        "among them; PostgreSQL only",
    )
    worker_processes: AtLeastOne = Field(
        default=1, description="Celery workers (`aspe worker`); with ASPE_REDIS_URL only"
    )
    worker_concurrency: AtLeastOne = Field(
        default=4,
        description="pool processes of each Celery worker, each running one task at a time "
        "(`aspe worker --concurrency` overrides it)",
    )
    stop_grace_seconds: Seconds = Field(
        default=10.0,
        description="how long `aspe up` waits for its processes to stop after SIGTERM "
        "before it kills them",
    )

    timezone: str = Field(
        default=DEFAULT_RULES.time_zone,
        description="the people's time zone: every time shown, what day it is in every rule, "
        "the clocks' times of day",
    )

    # Metrics (aspe/metrics, part "metrics"): the Prometheus exposition at /metrics.
    metrics_dir: Path | None = Field(
        default=None,
        description="a directory shared by every process of one host (aspe serve, projections "
        "run, worker, beat) where each writes its counters, and /metrics sums them; "
        "default: none, each process counts alone (one process: the embedded default)",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="the bearer token /metrics asks for (Authorization: Bearer …); in "
        "production /metrics answers 401 without it, elsewhere it is open when unset",
    )

    @model_validator(mode="after")
    def _refuse_a_weak_secret_in_production(self) -> Settings:
        if not self.is_production:
            return self
        if self.secret_key is None:
            raise ValueError("ASPE_SECRET_KEY must be set outside development")
        if len(self.secret_key.get_secret_value().encode()) < MIN_SECRET_KEY_BYTES:
            raise ValueError(f"ASPE_SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes long")
        return self

    @model_validator(mode="after")
    def _refuse_a_weak_metrics_token(self) -> Settings:
        # The token guards operational data only, but a short one is guessed.
        token = self.metrics_token
        if token is not None and len(token.get_secret_value()) < MIN_METRICS_TOKEN_LENGTH:
            raise ValueError(
                f"ASPE_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} characters long"
            )
        return self

    @model_validator(mode="after")
    def _refuse_an_unknown_time_zone(self) -> Settings:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"ASPE_TIMEZONE: unknown time zone {self.timezone!r} (e.g. Europe/Paris)"
            ) from error
        return self

    @model_validator(mode="after")
    def _refuse_an_issuer_without_audience(self) -> Settings:
        # Without an audience, a token the issuer signed for any other service would do.
        if self.oidc_issuer and not self.oidc_audience:
            raise ValueError("ASPE_OIDC_AUDIENCE must be set with ASPE_OIDC_ISSUER")
        return self

    def signing_key(self) -> str:
        """The key that signs tokens and cookies: ``ASPE_SECRET_KEY``, or (outside
        production) the one generated for the data directory. Every signer reads it here."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if self.is_production:  # the validator refuses it; a model_copy may not have run it
            raise ValueError("ASPE_SECRET_KEY must be set outside development")
        return data_dir_secret_key(self.data_dir / SECRET_KEY_FILE)

    def checkpoint_seed(self) -> bytes:
        """The 32-byte seed of the Ed25519 key that signs audit checkpoints:
        ``ASPE_AUDIT_SIGNING_KEY``, or one derived from ``signing_key()`` (so a deployment
        needs no new secret; set a key of its own to rotate ``ASPE_SECRET_KEY`` freely)."""
        if self.audit_signing_key is not None:
            return _seed(self.audit_signing_key.get_secret_value())
        return hmac.digest(self.signing_key().encode(), CHECKPOINT_KEY_PURPOSE, hashlib.sha256)

    def master_key_bytes(self) -> bytes | None:
        """``ASPE_MASTER_KEY``, decoded: the key that wraps the households' data keys."""
        if self.master_key is None:
            return None
        return _key_bytes(self.master_key.get_secret_value(), "ASPE_MASTER_KEY", "an AES key")

    @model_validator(mode="after")
    def _refuse_a_malformed_master_key(self) -> Settings:
        self.master_key_bytes()
        return self

    @model_validator(mode="after")
    def _refuse_a_malformed_audit_key(self) -> Settings:
        if self.audit_signing_key is not None:
            _seed(self.audit_signing_key.get_secret_value())
        return self

    @property
    def rules(self) -> RuleParameters:
        return self._domain_parameters(RuleParameters, time_zone=self.timezone)

    @property
    def zone(self) -> ZoneInfo:
        """``ASPE_TIMEZONE``: where every time shown is read, and what day it is."""
        return ZoneInfo(self.timezone)

    @property
    def bounds(self) -> InputBounds:
        return self._domain_parameters(InputBounds)

    def _domain_parameters(self, parameters: type[Parameters], **renamed: Any) -> Parameters:
        """``parameters`` (a dataclass of the domain) from the settings of its fields' names:
        a field of the domain without its setting fails here, not silently with a default."""
        names = {field.name for field in fields(parameters)} - renamed.keys()  # type: ignore[arg-type]
        return parameters(**{name: getattr(self, name) for name in names}, **renamed)

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
    def runs_clocks_in_process(self) -> bool:
        if self.clocks_in_process is not None:
            return self.clocks_in_process
        # A test sets the time its world lives in; a clock running on the wall clock would
        # act on that world behind the test's back. Tests that want the clocks say so.
        return self.redis_url is None and self.env is not Environment.TEST

    @property
    def secure_cookies(self) -> bool:
        if self.session_cookie_secure is not None:
            return self.session_cookie_secure
        return self.is_production

    @property
    def logs_as_json(self) -> bool:
        """``ASPE_LOG_FORMAT``, or JSON in production (log collectors parse it)."""
        if self.log_format is not None:
            return self.log_format == "json"
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

    def private_sqlite_path(self, name: str = "events") -> Path:
        """``sqlite_path(name)``, its file created ``0600`` (and its folder ``0700``) before
        the library opens it: only the account running ASPE may read the store."""
        path = self.sqlite_path(name)
        return private_sqlite(path, owned_folder=path.parent == self.data_dir)

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
        # The event store's application recorder chains every event (aspe/audit); the
        # other stores (read models, inbox) only borrow the connection settings.
        chained = name == "events"
        if not self.uses_postgres:
            path = self.private_sqlite_path(name)
            env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
            if chained:
                env["APPLICATION_RECORDER_TOPIC"] = CHAINED_RECORDERS["sqlite"]
            return env
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
        if chained:
            env["PERSISTENCE_MODULE"] = EVENT_STORE_FACTORY
            env["APPLICATION_RECORDER_TOPIC"] = CHAINED_RECORDERS["postgres"]
        return env


def _seed(text: str) -> bytes:
    return _key_bytes(text, "ASPE_AUDIT_SIGNING_KEY", "an Ed25519 seed")


def _key_bytes(text: str, setting: str, what: str) -> bytes:
    """32 bytes given in base64 (standard or URL-safe, padded or not)."""
    try:
        key = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"{setting}: not base64") from error
    if len(key) != 32:
        raise ValueError(f"{setting}: {what} of 32 bytes is expected")
    return key


_generated_keys: dict[Path, str] = {}
_generated_keys_lock = threading.Lock()


def data_dir_secret_key(path: Path) -> str:
    """The random key kept in ``path``: created once (mode 0600), read ever after.

    Several processes may share the data directory (PostgreSQL in development): the first
    to link its complete file in place wins, the others read that one."""
    resolved = path.resolve()
    with _generated_keys_lock:
        if resolved not in _generated_keys:
            _create_key_file(resolved)
            _generated_keys[resolved] = _read_key_file(resolved)
        return _generated_keys[resolved]


def _create_key_file(path: Path) -> None:
    if path.exists():
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp makes the file 0600; link() publishes it whole and never replaces another's.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(secrets.token_urlsafe(48))
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process made it first: use theirs
    finally:
        os.unlink(temporary)


def _read_key_file(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if len(key.encode()) < MIN_SECRET_KEY_BYTES:
        raise ValueError(f"{path} holds no usable key: delete it to have a new one generated")
    return key
