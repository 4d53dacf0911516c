"""Every Prometheus series the service exports, defined once.

Import this only through :mod:`app.infra.metrics`: prometheus-client picks its
multi-process storage when it is first imported (``PROMETHEUS_MULTIPROC_DIR``),
which each process entry point settles first (:mod:`app.infra.metrics.processes`).
Label values are bounded: routes and gRPC methods are the registered ones, kinds and
award types the domain's, transports a fixed set.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

PROGRESS_EVENTS = Counter(
    "achievements_progress_events", "Progress events received, by transport, kind and outcome "
    "(created: stored new; replayed: an idempotency key seen before)",
    ["transport", "kind", "outcome"])
DETECTION_ENQUEUES = Counter(
    "achievements_detection_enqueues", "Detection hand-offs after recording: sent (a task "
    "enqueued), gated (a waiting task of the shard will see the event), failed (left to the "
    "outbox sweep)", ["outcome"])
DETECTION_TASKS = Counter(
    "achievements_detection_tasks", "Detection tasks run, by outcome (ok, retry)", ["outcome"])
DETECTION_TASK_SECONDS = Histogram(
    "achievements_detection_task_seconds", "Wall time of one detection task",
    buckets=LATENCY_BUCKETS)
DETECTION_LAG = Histogram(
    "achievements_detection_lag_seconds", "Event recorded -> its evaluation committed with the "
    "awards it made due, per event", buckets=LAG_BUCKETS)
AWARDS_STORED = Counter(
    "achievements_awards_stored", "Awards stored (exactly once each), by achievement type",
    ["type"])
AWARDS_PUBLISHED = Counter(
    "achievements_awards_published", "Awards published to live listeners")
PUBLISH_FAILURES = Counter(
    "achievements_publish_failures", "Awards whose publish failed (the sweep publishes them "
    "again)")
SWEPT = Counter(
    "achievements_sweep_requeued", "What the outbox sweep handed over again: events (detection "
    "tasks re-enqueued), awards (published again), statements (xAPI recorded late)", ["what"])
LIVE_CONNECTIONS = Gauge(
    "achievements_live_connections", "Live award feeds open (sse: browser pages; grpc: "
    "WatchAchievements streams)", ["transport"], multiprocess_mode="livesum")
HTTP_REQUESTS = Counter(
    "achievements_http_requests", "HTTP requests answered, by route template, method and status",
    ["route", "method", "status"])
HTTP_SECONDS = Histogram(
    "achievements_http_request_seconds", "Time to the response's first byte, by route template",
    ["route"], buckets=LATENCY_BUCKETS)
GRPC_CALLS = Counter(
    "achievements_grpc_calls", "gRPC calls answered, by method and status code",
    ["method", "code"])
GRPC_SECONDS = Histogram(
    "achievements_grpc_call_seconds", "gRPC unary call time, by method", ["method"],
    buckets=LATENCY_BUCKETS)
SIGN_INS = Counter(
    "achievements_sign_ins", "Institutional sign-ins that succeeded, by protocol and "
    "whether the account was new", ["protocol", "account"])
SIGN_IN_REFUSALS = Counter(
    "achievements_sign_in_refusals", "Institutional sign-ins refused, by protocol and reason "
    "(state, issuer, audience, expired, signature, ...)", ["protocol", "reason"])
BEAT_SENT = Counter(
    "achievements_beat_sent", "Periodic tasks celery beat sent, by task", ["task"])

# Computed at scrape time from the database by the web process (app.web.metrics).
OUTBOX_PENDING = "achievements_outbox_pending_events"
OUTBOX_STALE = "achievements_outbox_stale_events"
OUTBOX_OLDEST = "achievements_outbox_oldest_pending_seconds"
UNPUBLISHED_AWARDS = "achievements_unpublished_awards"
