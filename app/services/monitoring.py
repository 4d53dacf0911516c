"""Who may scrape metrics, the scrape-time series, and each role's metrics endpoint.

``GET /metrics`` is closed by default (DESIGN section 5): it answers a bearer token
with the ``metrics:read`` scope (an admin's session too), or anyone when
``METRICS_PUBLIC`` is set. The web process serves it on its own port
(``app.web.observability``); worker, beat and gRPC processes on
``<ROLE>_METRICS_PORT`` (:func:`serve_role`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from flask import Flask
from prometheus_client.core import GaugeMetricFamily

from app.errors import Unauthenticated
from app.infra.metrics import exposition, series
from app.read.backlog import outbox_backlog
from app.services.accounts.principal import Principal
from app.services.accounts.tokens import shared_cache

log = logging.getLogger(__name__)
METRICS_READ = "metrics:read"
PORTS = {"worker": "WORKER_METRICS_PORT", "beat": "BEAT_METRICS_PORT",
         "grpc": "GRPC_METRICS_PORT"}


def may_scrape(principal: Principal | None, public: bool) -> int:
    """200, or the status refusing the scrape: 401 without credentials, 403 without the scope."""
    if public:
        return 200
    if principal is None:
        return 401
    return 200 if principal.has_scope(METRICS_READ) else 403


def bearer_access(app: Flask, authorization: str | None) -> int:
    """:func:`may_scrape` for an ``Authorization`` header (ports other than the web's)."""
    public = app.config["ACHIEVEMENTS_CONFIG"].METRICS_PUBLIC
    scheme, _, token = (authorization or "").partition(" ")
    if public or scheme.lower() != "bearer" or not token:
        return may_scrape(None, public)
    with app.app_context():
        try:
            return may_scrape(shared_cache(app).principal(token.strip()), public)
        except Unauthenticated:
            return 401
        except Exception:  # the database is down: say so, never a traceback from the server
            log.warning("metrics token not checked", exc_info=True)
            return 503


class OutboxBacklog:
    """The outbox read at scrape time (web process): pending, stale and oldest."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        age = self.app.config["ACHIEVEMENTS_CONFIG"].METRICS_BACKLOG_AGE_SECONDS
        try:
            with self.app.app_context():
                backlog = outbox_backlog(age)
        except Exception:  # a scrape must not fail with the database: the series are absent
            log.warning("outbox backlog not read for the scrape", exc_info=True)
            return
        yield GaugeMetricFamily(series.OUTBOX_PENDING, "Progress events waiting for "
                                "detection", value=backlog.pending)
        yield GaugeMetricFamily(series.OUTBOX_STALE, f"Progress events waiting for over {age} s "
                                "(METRICS_BACKLOG_AGE_SECONDS)", value=backlog.stale)
        yield GaugeMetricFamily(series.OUTBOX_OLDEST, "Age of the oldest waiting progress event, "
                                "seconds", value=backlog.oldest_seconds)


def web_scrape(app: Flask) -> bytes:
    return exposition.scrape([OutboxBacklog(app)])


def serve_role(app: Flask, role: str) -> exposition.Endpoint | None:
    """Serve ``GET /metrics`` for a worker, beat or gRPC process on its configured port."""
    settings = app.config["ACHIEVEMENTS_CONFIG"]
    port = getattr(settings, PORTS[role])
    if not port or not settings.METRICS_ENABLED:
        return None
    endpoint = exposition.serve(settings.METRICS_HOST, port,
                                lambda header: bearer_access(app, header))
    log.info("%s metrics on http://%s:%s/metrics", role, settings.METRICS_HOST, port)
    return endpoint
