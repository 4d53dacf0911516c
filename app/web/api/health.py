"""GET /healthz (the process answers), GET /readyz (its dependencies answer) and
GET /metrics (Prometheus text; ``app.services.monitoring`` says who may read it).

Liveness never touches a dependency, so a database outage does not get every
web process restarted; readiness checks the database and, when configured,
Redis, so a load balancer stops sending traffic to a process that cannot serve.
"""

from __future__ import annotations

from typing import Any

import redis
from flask import current_app
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import text
from werkzeug.wrappers import Response

from app.errors import Forbidden
from app.extensions import db
from app.infra.metrics.exposition import CONTENT_TYPE
from app.services.monitoring import METRICS_READ, may_scrape, web_scrape
from app.web.api.docs import PROBLEM_JSON, Problem, problem_responses
from app.web.api.schemas import HealthOut
from app.web.api.security import current_principal
from app.web.problems import problem

blp = Blueprint("health", __name__, description="Liveness and readiness probes, metrics")
PROBE_TIMEOUT_SECONDS = 2.0


class Unavailable(Problem):
    checks = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


@blp.route("/healthz", methods=["GET"])
@blp.response(200, HealthOut)
@blp.doc(security=[], responses=problem_responses())
def healthz() -> Any:
    """The process is up and serving requests."""
    return {"status": "ok", "checks": {}}


@blp.route("/readyz", methods=["GET"])
@blp.response(200, HealthOut)
@blp.doc(security=[], responses={**problem_responses(), "503": {
    "description": "A dependency is unreachable; `checks` says which",
    "content": {PROBLEM_JSON: {"schema": Unavailable}}}})
def readyz() -> Any:
    """The database (and Redis, when configured) answer within a short timeout."""
    checks = {"database": _check(_ping_database)}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _check(_ping_redis)
    if any(state != "ok" for state in checks.values()):
        return _unavailable(checks)
    return {"status": "ok", "checks": checks}


@blp.route("/metrics", methods=["GET"])
@blp.doc(security=[{"bearer": []}, {"session": []}], responses={**problem_responses(401, 403),
         "200": {"description": "Prometheus text exposition of this web process's series "
                 "(all its workers) and the outbox backlog",
                 "content": {"text/plain": {"schema": {"type": "string"}}}}})
def metrics() -> Response:
    """Prometheus metrics: a ``metrics:read`` token, or anyone with ``METRICS_PUBLIC``."""
    public = current_app.config["ACHIEVEMENTS_CONFIG"].METRICS_PUBLIC
    if may_scrape(None if public else current_principal(), public) != 200:
        raise Forbidden(f"the {METRICS_READ} scope is required")
    return Response(web_scrape(current_app._get_current_object()),  # type: ignore[attr-defined]
                    content_type=CONTENT_TYPE)


def _check(probe: Any) -> str:
    try:
        probe()
    except Exception as exc:  # any failure means "not ready"; the text says which
        db.session.rollback()
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return "ok"


def _ping_database() -> None:
    db.session.execute(text("SELECT 1"))
    db.session.rollback()


def _ping_redis() -> None:
    client = redis.Redis.from_url(current_app.config["REDIS_URL"],
                                  socket_timeout=PROBE_TIMEOUT_SECONDS,
                                  socket_connect_timeout=PROBE_TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()


def _unavailable(checks: dict[str, str]) -> Response:
    failing = ", ".join(name for name, state in checks.items() if state != "ok")
    return problem(503, f"not ready: {failing} unreachable", checks=checks)
