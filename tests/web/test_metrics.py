"""GET /metrics in process: who may read it, the series each transport moves, the switch
that turns instrumentation off, and request ids on answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from prometheus_client import REGISTRY

from app.infra.metrics import record as metrics
from app.web.sse import event_stream
from tests.services.xapi.test_statements import statement
from tests.web.test_xapi import basic

EVENTS = "achievements_progress_events_total"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def public_metrics(app: Flask) -> Iterator[None]:
    settings = app.config["ACHIEVEMENTS_CONFIG"]
    settings.METRICS_PUBLIC = True
    yield
    settings.METRICS_PUBLIC = False


def test_only_the_scope_or_an_admin_reads_metrics(client, people, as_user, token_headers) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=token_headers("achievements:admin")).status_code == 403
    assert as_user(people["ann"]).get("/metrics").status_code == 403
    assert as_user(people["ida"]).get("/metrics").status_code == 403
    assert as_user(people["ada"]).get("/metrics").status_code == 200
    answer = client.get("/metrics", headers=token_headers("metrics:read"))
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    assert b"achievements_outbox_pending_events" in answer.data


def test_public_metrics_need_no_credentials(client, public_metrics) -> None:
    assert client.get("/metrics").status_code == 200


def test_each_transport_is_counted_apart(client, catalog, learner, make_token) -> None:
    module = catalog["courses"][0]["units"][0]["modules"][0]["key"]
    token = make_token("progress:write")
    before = {via: sample(EVENTS, transport=via, kind=kind, outcome="created")
              for via, kind in (("rest", "module_completed"), ("xapi", "activity"))}
    client.post("/api/v1/progress-events", headers={"Authorization": f"Bearer {token}"},
                json={"user_id": learner.id, "kind": "module_completed", "module": module,
                      "idempotency_key": "m1"})
    assert client.post("/xapi/statements", json=[statement(verb="experienced")],
                       headers=basic(token)).status_code == 200
    assert sample(EVENTS, transport="rest", kind="module_completed",
                  outcome="created") == before["rest"] + 1
    assert sample(EVENTS, transport="xapi", kind="activity",
                  outcome="created") == before["xapi"] + 1


def test_http_answers_carry_their_request_id_and_are_counted(client) -> None:
    route = {"route": "/healthz", "method": "GET", "status": "200"}
    before = sample("achievements_http_requests_total", **route)
    answer = client.get("/healthz", headers={"X-Request-ID": "probe-1"})
    assert answer.headers["X-Request-ID"] == "probe-1"
    assert len(client.get("/healthz", headers={"X-Request-ID": "bad id!"})
               .headers["X-Request-ID"]) == 32
    assert sample("achievements_http_requests_total", **route) == before + 2
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    before = sample("achievements_http_requests_total", **unmatched)
    client.get(f"/no/such/{'x' * 40}")
    assert sample("achievements_http_requests_total", **unmatched) == before + 1


def test_switched_off_nothing_moves(client, catalog, learner, make_token) -> None:
    module = catalog["courses"][0]["units"][0]["modules"][0]["key"]
    labels = {"transport": "rest", "kind": "module_completed", "outcome": "created"}
    before = sample(EVENTS, **labels)
    metrics.configure(False)
    try:
        client.post("/api/v1/progress-events",
                    headers={"Authorization": f"Bearer {make_token('progress:write')}"},
                    json={"user_id": learner.id, "kind": "module_completed", "module": module,
                          "idempotency_key": "off"})
    finally:
        metrics.configure(True)
    assert sample(EVENTS, **labels) == before


def test_an_open_sse_stream_is_a_live_connection(app: Flask, learner) -> None:
    app.config["ACHIEVEMENTS_CONFIG"].SSE_PING_SECONDS = 0.05
    before = sample("achievements_live_connections", transport="sse")
    stream = event_stream(app, learner.id, None)
    next(stream)  # "connected", sent before subscribing
    next(stream)  # a heartbeat: subscribed and waiting
    assert sample("achievements_live_connections", transport="sse") == before + 1
    stream.close()
    assert sample("achievements_live_connections", transport="sse") == before
