"""Per request: its id (``X-Request-ID``, the caller's or a new one) set for every log line
and stored with any progress event it records; the HTTP metrics; one access log line.

Registered before the web transport's other hooks, so a request they refuse (CSRF, 415)
is counted and answered with its id too.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from app.infra import context
from app.infra.metrics import record as metrics

log = logging.getLogger("app.web.access")
UNMATCHED = "unmatched"  # the route label of a URL no rule serves (a 404): bounded


def init_observability(app: Flask) -> None:
    app.before_request(_begin)
    app.after_request(_answered)
    app.teardown_request(_end)


def transport_of(path: str) -> str:
    if path.startswith("/xapi/"):
        return "xapi"
    return "rest" if path.startswith("/api/") else "web"


def _begin() -> None:
    rid = context.accepted_request_id(request.headers.get(context.REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()
    g.request_tokens = (context.request_id.set(rid),
                        context.transport.set(transport_of(request.path)))


def _answered(response: Response) -> Response:
    rid = context.request_id.get()
    if rid is None:  # no _begin: a hook before ours failed
        return response
    seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    response.headers[context.REQUEST_ID_HEADER] = rid
    metrics.http_answered(route, request.method, response.status_code, seconds)
    log.info("%s %s %s", request.method, request.path, response.status_code,
             extra={"route": route, "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 2)})
    return response


def _end(_exc: BaseException | None) -> None:
    tokens = g.pop("request_tokens", None)
    if tokens is not None:
        context.request_id.reset(tokens[0])
        context.transport.reset(tokens[1])
