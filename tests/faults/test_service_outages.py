"""F2 Redis restarted with SSE and gRPC watch streams open, F3 PostgreSQL connections
dropped or the server restarted, F5 broker unreachable at write time."""

from __future__ import annotations

import time

import pytest
import redis
import requests
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from app.config import normalize_database_url
from app.infra.pool import ReadPool
from tests.faults.harness import assert_stream_complete, in_background, join_ok
from tests.support.outages import postgres_outage, redis_outage, terminate_connections
from tests.support.services import wait_for
from tests.support.web_server import WebServer

CLOSED_REDIS = "redis://127.0.0.1:6390/0"
OUTAGE_REFUSALS = 20  # ~1.5 s down: the writer retries every 50 ms


def test_redis_restart_mid_burst_loses_nothing(burst, live_clients, watchers, start_worker,
                                               beat):
    scenario = burst(learners=3, units=2, modules=5)
    clients = live_clients(scenario)
    streams = watchers(scenario)
    start_worker()
    pairs = scenario.events()
    client = scenario.app.test_client()
    scenario.post_all(client, pairs[:10])
    with redis_outage():  # queue, unacked tasks and subscriptions are all lost
        scenario.post_all(client, pairs[10:13])
    scenario.post_all(client, pairs[13:])

    scenario.assert_exact(timeout=60)
    assert_stream_complete(clients, scenario.expected())
    assert_stream_complete(streams, scenario.expected())  # type: ignore[arg-type]


def test_postgres_connections_dropped_mid_burst_lose_nothing(burst, live_clients, start_worker,
                                                              beat, pg_url):
    scenario = burst(learners=3, units=2, modules=6)
    clients = live_clients(scenario)
    start_worker()
    poster = in_background(lambda: scenario.post_all(scenario.app.test_client(),
                                                     scenario.events()))
    for round_ in range(1, 4):
        wait_for(lambda r=round_: scenario.event_count() >= 10 * r, what="the burst to go on")
        # A round can find no connection open at that instant (seen once in CI, between
        # requests); it counts once it has dropped at least one live connection.
        wait_for(lambda: terminate_connections(pg_url) > 0, what="a connection to drop")
    join_ok(poster)

    scenario.assert_exact(timeout=60)
    assert_stream_complete(clients, scenario.expected())


def test_postgres_server_restarted_mid_burst_loses_nothing(burst, live_clients, start_worker,
                                                          beat):
    """The whole server goes away for a while (every connection dropped, new ones refused)
    and comes back: writers get 503s and retry, tasks retry, streams reconnect.

    The burst's first third is posted before the stop (its tasks are on the worker when
    the server goes), the rest during the outage: a writer racing the stop could finish
    the whole burst first on a fast box, and then no write would feel the fault."""
    scenario = burst(learners=3, units=2, modules=5)
    clients = live_clients(scenario)
    start_worker()
    pairs = scenario.events()
    scenario.post_all(scenario.app.test_client(), pairs[:10])
    with postgres_outage():  # held until the writer has felt it for a while
        poster = in_background(lambda: scenario.post_all(scenario.app.test_client(),
                                                         pairs[10:]))
        wait_for(lambda: scenario.refused >= OUTAGE_REFUSALS, what="writes refused with 503")
    join_ok(poster)

    scenario.assert_exact(timeout=60)
    assert_stream_complete(clients, scenario.expected())


def test_broker_unreachable_at_write_time_is_delivered_by_the_sweep(
        burst, live_clients, service_settings, start_worker, start_beat):
    scenario = burst(learners=2, units=1, modules=2)
    clients = live_clients(scenario)
    queue = redis.Redis.from_url(service_settings["REDIS_URL"])
    queue.delete(service_settings["CELERY_QUEUE"])
    web = WebServer({**service_settings, "REDIS_URL": CLOSED_REDIS}).start()
    try:
        for learner, module in scenario.events():
            response = requests.post(
                f"{web.url}/api/v1/progress-events", timeout=15,
                headers={"Authorization": f"Bearer {scenario.token}"},
                json={"user_id": learner.user_id, "kind": "module_completed", "module": module,
                      "idempotency_key": f"done-{module}"})
            assert response.status_code == 202, response.text
    finally:
        web.stop()
    assert queue.llen(service_settings["CELERY_QUEUE"]) == 0  # nothing was enqueued
    assert scenario.unprocessed() == scenario.event_count() == 4

    start_worker()
    start_beat()
    scenario.assert_exact()
    assert_stream_complete(clients, scenario.expected())


def test_a_write_during_a_database_fault_is_a_503_that_stores_nothing(burst, pg_url):
    """While PostgreSQL is down a write is a 503 problem+json with Retry-After and stores
    nothing; once it is back the same request is accepted once. A connection dropped under
    a write is not a fault the caller sees: the statement goes again on a new one."""
    scenario = burst(learners=1, units=1, modules=2)
    (learner, module), (_, second) = scenario.events()
    client = scenario.app.test_client()
    with postgres_outage():
        refused = scenario.post_once(client, learner, module)
    assert refused.status_code == 503, refused.get_data(as_text=True)
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["status"] == 503 and refused.headers["Retry-After"] == "1"
    assert scenario.event_count() == 0

    accepted = scenario.post_once(client, learner, module)
    again = scenario.post_once(client, learner, module)
    assert accepted.status_code == again.status_code == 202
    assert accepted.get_json()["id"] == again.get_json()["id"]
    assert scenario.event_count() == 1

    assert terminate_connections(pg_url) > 0  # the pooled connection that stored it
    assert scenario.post_once(client, learner, second).status_code == 202
    assert scenario.event_count() == 2


def test_hot_reads_fail_at_once_while_postgres_is_down_and_reconnect_after(pg_url):
    """gRPC reads, REST history and the worker's settled check use the read pool: an outage
    is an immediate 503 / UNAVAILABLE, and the first read after it is served."""
    pool = ReadPool(create_engine(normalize_database_url(pg_url)))
    assert pool.fetch("SELECT 1", (), first_row) == (1,)
    with postgres_outage():
        started = time.monotonic()
        for _ in range(3):
            with pytest.raises(OperationalError):
                pool.fetch("SELECT 1", (), first_row)
        assert time.monotonic() - started < 5
    assert pool.fetch("SELECT 1", (), first_row) == (1,)
    pool.close()


def first_row(cursor):
    return cursor.fetchone()
