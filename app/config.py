"""Settings read from environment variables prefixed ``ACHIEVEMENTS_``.

With nothing set the service runs *embedded*: a SQLite file, Celery tasks run
eagerly in the calling process and pub/sub stays in-process, so a newcomer
gets a working demo without any services.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PREFIX = "ACHIEVEMENTS_"
INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _env(name: str) -> str | None:
    value = os.environ.get(PREFIX + name)
    return value if value not in (None, "") else None


CODE_ONLY = frozenset({"TESTING", "WTF_CSRF_ENABLED", "EXTRA", "OIDC"})
OIDC_KEYS = ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "SCOPES", "ROLE_CLAIM", "ROLES", "LABEL",
             "REQUIRED_CLAIMS")
TRUE = frozenset({"1", "true", "yes", "on"})


def _parse(kind: str, raw: str) -> Any:
    """An environment value as the field's annotated type (``int``, ``bool | None``, ...)."""
    base = kind.removesuffix(" | None")
    if base == "bool":
        return raw.strip().lower() in TRUE
    if base in ("int", "float"):
        return int(raw) if base == "int" else float(raw)
    if base.startswith("dict"):
        return json.loads(raw)
    return raw


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'achievements.db'}"


def normalize_database_url(url: str) -> str:
    """Route plain ``postgresql://`` URLs through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _oidc_from_env() -> dict[str, dict[str, str]]:
    """``ACHIEVEMENTS_OIDC_<NAME>_<KEY>`` grouped by lower-case name; a name without an
    issuer is no provider (a stray variable)."""
    found: dict[str, dict[str, str]] = {}
    for name, value in os.environ.items():
        rest = name.removeprefix(PREFIX + "OIDC_")
        key = next((k for k in OIDC_KEYS if rest.endswith("_" + k)), None)
        if rest == name or key is None or value == "":
            continue
        found.setdefault(rest[: -len(key) - 1].lower(), {})[key.lower()] = value
    return {name: spec for name, spec in found.items() if "issuer" in spec and name}


@dataclass
class Config:
    """One object holds every setting; ``from_env`` is the only reader of the environment."""

    DATABASE_URL: str = field(default_factory=_default_database_url)
    REDIS_URL: str | None = None
    SECRET_KEY: str = field(default_factory=lambda: secrets.token_hex(32))
    GRPC_PORT: int = 50051
    GRPC_HOST: str = "127.0.0.1"
    GRPC_MAX_WORKERS: int = 64  # threads serving calls; a watch stream holds one for its life
    GRPC_MAX_STREAMS: int = 48  # open WatchAchievements streams, kept below GRPC_MAX_WORKERS
    GRPC_HEARTBEAT_SECONDS: float = 15.0
    GRPC_GRACE_SECONDS: float = 10.0  # on SIGTERM: time in-flight calls get to finish
    GRPC_TOKEN_CACHE_SECONDS: float = 5.0  # a revoked token stops working within this
    GRPC_PROCESSES: int = 0  # server processes sharing the port; 0: one per CPU, 1 when embedded
    TOKEN_CACHE_SECONDS: float = 5.0  # the same for REST bearer tokens (0: query every request)
    CELERY_QUEUE: str = "achievements"
    CHANNEL_PREFIX: str = "achievements"
    TASKS_EAGER: bool | None = None
    OUTBOX_SWEEP_AGE_SECONDS: int = 60
    OUTBOX_SWEEP_INTERVAL_SECONDS: int = 30
    SSE_PING_SECONDS: float = 15.0
    BROKER_VISIBILITY_TIMEOUT: int = 300
    # Lifetime of a shard's "detection task waiting" key (app.infra.gate); 0: no gate,
    # one task per event. Also how long a key orphaned by a crash can delay a shard's events
    # until its next enqueue or the outbox sweep.
    DETECTION_GATE_SECONDS: int = 30
    # Learners share a gate key, and a task evaluates its whole shard: at most this many
    # detection tasks wait at once, however many learners a burst touches. Enough to keep
    # every worker thread busy; more only lengthens the queue of a saturated deployment
    # (bench/README.md, throughput: sustained lag p50 ~225 ms at 64 against 25-92 at 16 or 4).
    DETECTION_GATE_SHARDS: int = 16
    # Detection is round trips to PostgreSQL and Redis, not Python: threads beat
    # prefork's per-task pipe hand-off (bench/README.md, throughput). Two threads: a
    # process's Python runs on one core at a time anyway, and with more, shard tasks
    # leave the broker sooner with fewer events each (sustained on 2 cores: ~1,000/s at
    # 2 threads against ~800 at 4, same drain and e2e; bench/README.md).
    WORKER_POOL: str = "threads"
    WORKER_CONCURRENCY: int = 2
    # Ping each pooled connection on checkout. Off: a round trip per request/task
    # (e2e p50 58 -> 42 ms, bench/README.md); a dropped connection fails one call,
    # which invalidates the pool and is retried (tasks; idempotent clients).
    DB_PRE_PING: bool = False
    DB_POOL_SIZE: int = 10  # ORM connections kept per process (PostgreSQL)
    DB_MAX_OVERFLOW: int = 20  # opened beyond that under load, closed when returned
    RULES: dict[str, Any] = field(default_factory=dict)
    # The base of every public id (Open Badges) and of the default xAPI activity IRIs.
    PUBLIC_URL: str = "http://127.0.0.1:5000"
    ISSUER_NAME: str = "Learner achievements"
    ISSUER_EMAIL: str = "badges@example.com"
    ISSUER_URL: str | None = None  # the issuer's home page; PUBLIC_URL when unset
    SIGNING_KEY_FILE: str | None = None  # PEM private key; unset: one is made once and stored
    LTI_KEY_FILE: str | None = None  # the LTI tool's PEM private key; unset: made once, stored
    SESSION_COOKIE_SECURE: bool = False
    FORCE_HTTPS: bool = False  # redirect http:// to https:// and send HSTS (behind TLS)
    # Observability (README, "Operating it"). Metrics: off costs nothing per event.
    METRICS_ENABLED: bool = True
    METRICS_PUBLIC: bool = False  # GET /metrics without a metrics:read token
    # Each multi-process role (web, worker, grpc, beat) keeps its series under
    # <METRICS_DIR>/<role> (prometheus-client multiprocess mode); one directory per host.
    METRICS_DIR: str | None = None  # unset: <temp dir>/achievements-metrics-<uid>
    METRICS_HOST: str = "127.0.0.1"  # where the worker, beat and gRPC processes serve /metrics
    GRPC_METRICS_PORT: int = 0  # 0: not served
    WORKER_METRICS_PORT: int = 0
    BEAT_METRICS_PORT: int = 0
    METRICS_BACKLOG_AGE_SECONDS: int = 30  # an unprocessed event older than this is backlog
    # Email (README, "Notifications"). No SMTP host: no email, except the embedded demo,
    # which prints each one to its console instead.
    SMTP_HOST: str | None = None
    SMTP_PORT: int = 25
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_SECURITY: str = "none"  # none | starttls | tls
    SMTP_TIMEOUT_SECONDS: float = 30.0
    MAIL_FROM: str = "Learner achievements <badges@localhost>"
    NOTIFY_COALESCE_SECONDS: int = 120  # awards this close together make one email
    NOTIFY_RELAY_INTERVAL_SECONDS: float = 5.0  # beat: the relay looks for due notices
    NOTIFY_LEASE_SECONDS: int = 90  # a claimed notice a dead worker held is retried after this
    # The relay's Celery queue: its own (served by a worker started with -Q <it>) keeps a
    # detection backlog from delaying email; empty: CELERY_QUEUE, shared with detection.
    NOTIFY_QUEUE: str = ""
    # Web Push: a key pair (base64url raw keys, as `vapid --applicationServerKey` prints);
    # unset: one is made once and kept in the database, like the signing key.
    VAPID_PRIVATE_KEY: str | None = None
    VAPID_PUBLIC_KEY: str | None = None
    VAPID_SUBJECT: str | None = None  # mailto: or https: contact; default mailto:ISSUER_EMAIL
    # Sign-in (README, "Institutional sign-in"). False: no password form, password log-ins
    # refused (``flask --app wsgi users create`` still makes a recovery admin).
    PASSWORD_LOGIN: bool = True
    # OpenID Connect providers by name, read from ACHIEVEMENTS_OIDC_<NAME>_ISSUER, _CLIENT_ID,
    # _CLIENT_SECRET, _SCOPES, _ROLE_CLAIM, _ROLES (JSON: claim value -> role), _LABEL,
    # _REQUIRED_CLAIMS (space-separated, beyond iss sub aud exp iat).
    OIDC: dict[str, Any] = field(default_factory=dict)
    # SAML 2.0: the IdP's metadata (a file path or an https URL); unset: no SAML sign-in.
    SAML_IDP_METADATA: str | None = None
    SAML_SP_KEY_FILE: str | None = None  # unset: a key and certificate made once and kept
    SAML_SP_CERT_FILE: str | None = None
    SAML_ROLE_ATTRIBUTE: str = "eduPersonAffiliation"  # or eduPersonEntitlement, ...
    SAML_ROLES: dict[str, str] = field(default_factory=dict)  # attribute value -> role
    LOG_FORMAT: str = "text"  # "json": one JSON object per line, with the request id
    LOG_LEVEL: str = "INFO"
    TESTING: bool = False
    WTF_CSRF_ENABLED: bool = True
    EXTRA: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Config:
        """Every upper-case field from ``ACHIEVEMENTS_<FIELD>``, parsed by its type; unset or
        empty keeps the default (``TESTING``, ``WTF_CSRF_ENABLED`` and ``EXTRA`` are code-only)."""
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = _env(spec.name)
            if raw is not None and spec.name not in CODE_ONLY:
                values[spec.name] = _parse(str(spec.type), raw)
        settings = cls(**values, OIDC=_oidc_from_env())
        settings.DATABASE_URL = normalize_database_url(settings.DATABASE_URL)
        settings.PUBLIC_URL = settings.PUBLIC_URL.rstrip("/")
        return settings

    @property
    def embedded(self) -> bool:
        """True when no Redis is configured: eager tasks and in-process pub/sub."""
        return self.REDIS_URL is None

    @property
    def tasks_eager(self) -> bool:
        return self.embedded if self.TASKS_EAGER is None else self.TASKS_EAGER

    def flask_mapping(self) -> dict[str, Any]:
        """The settings in the shape Flask and its extensions read."""
        mapping = {k: v for k, v in vars(self).items() if k.isupper() and k != "EXTRA"}
        mapping.update(
            SQLALCHEMY_DATABASE_URI=normalize_database_url(self.DATABASE_URL),
            SQLALCHEMY_ENGINE_OPTIONS=self.engine_options(),
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            REMEMBER_COOKIE_HTTPONLY=True,
            MAX_CONTENT_LENGTH=64 * 1024,
            # CSRF is checked by app.web before each request unless a bearer token is used.
            WTF_CSRF_CHECK_DEFAULT=False,
            ACHIEVEMENTS_CONFIG=self,
        )
        mapping.update(self.EXTRA)
        return mapping

    def engine_options(self) -> dict[str, Any]:
        if self.DATABASE_URL.startswith("sqlite"):
            return {"connect_args": {"timeout": 30}}
        return {"pool_pre_ping": self.DB_PRE_PING, "pool_size": self.DB_POOL_SIZE,
                "max_overflow": self.DB_MAX_OVERFLOW}
