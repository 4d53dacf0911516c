"""Operators' view on real processes: gunicorn (2 workers), a prefork Celery worker (2
children), beat and the gRPC server (2 processes) on PostgreSQL + Redis, each role's series
merged across its processes, scraped with Prometheus' own text parser,
and one request id followed through their JSON logs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.extensions import db
from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.grpc.generated.achievements.v1 import achievements_pb2_grpc as pb_grpc
from app.models import ProgressEvent
from app.models.types import utcnow
from app.services.accounts import create_token
from tests.support.catalog import build_catalog
from tests.support.grpc_client import FAST_RECONNECT, bearer, serving
from tests.support.services import (
    ARTIFACTS,
    ROOT,
    Beat,
    Worker,
    child_pids,
    free_port,
    module_database,
    redis_settings,
    require,
    service_env,
    wait_for,
)
from tests.support.web_server import WebServer

pytestmark = pytest.mark.integration
pg_url = module_database
MODULES = [f"obs-u1-m{m}" for m in (1, 2, 3)]


@dataclass
class Stack:
    web: WebServer
    worker: Worker
    beat: Beat
    grpc_port: int
    grpc_metrics: int
    grpc_log: Path
    metrics_token: str
    plain_token: str

    def grpc_scrape(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return scrape(f"http://127.0.0.1:{self.grpc_metrics}/metrics", self.metrics_token)


def _start_grpc(settings: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "app.grpc"], cwd=ROOT,
                               env=service_env(settings), stdout=log.open("wb"),
                               stderr=subprocess.STDOUT)
    return process


@pytest.fixture(scope="module")
def stack(pg_url: str) -> Iterator[Stack]:
    settings = {"DATABASE_URL": pg_url, "TASKS_EAGER": "false", "LOG_FORMAT": "json",
                "OUTBOX_SWEEP_AGE_SECONDS": "600", "OUTBOX_SWEEP_INTERVAL_SECONDS": "1",
                **redis_settings()}
    web = WebServer(settings, workers=2).start()
    # prefork: the pool's children write the series, the worker's main process serves them
    worker = Worker({**settings, "WORKER_METRICS_PORT": str(free_port())},
                    pool="prefork").start()
    beat = Beat({**settings, "BEAT_METRICS_PORT": str(free_port())}).start()
    grpc_port, grpc_metrics = free_port(), free_port()
    grpc_log = ARTIFACTS / f"grpc-observability-{uuid.uuid4().hex[:6]}.log"
    server = _start_grpc({**settings, "SECRET_KEY": "obs", "GRPC_PORT": str(grpc_port),
                          "GRPC_PROCESSES": "2", "GRPC_METRICS_PORT": str(grpc_metrics),
                          "METRICS_DIR": str(ARTIFACTS / f"metrics-{uuid.uuid4().hex[:6]}")},
                         grpc_log)
    wait_for(lambda: status_of(f"http://127.0.0.1:{grpc_metrics}/metrics") == 401, timeout=60,
             what="the gRPC supervisor's metrics port")
    with web.app.app_context():
        build_catalog("obs", units=1, modules=len(MODULES))
        metrics_token = create_token("prometheus", ["metrics:read"])[1]
        plain_token = create_token("reader", ["achievements:read", "progress:write"])[1]
    try:
        yield Stack(web, worker, beat, grpc_port, grpc_metrics, grpc_log, metrics_token,
                    plain_token)
    finally:
        for pid in child_pids(server.pid):
            os.kill(pid, signal.SIGTERM)
        server.terminate()
        server.wait(timeout=30)
        for process in (beat, worker, web):
            process.stop()


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str, token: str | None) -> Samples:
    """Every sample, keyed by (sample name, sorted labels), parsed by prometheus-client."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as reply:
        assert reply.headers["Content-Type"].startswith("text/plain")
        text = reply.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    return sum(v for (sample, have), v in samples.items()
               if sample == name and set(labels.items()) <= set(have))


def status_of(url: str, token: str | None = None) -> int:
    """The HTTP status, or 0 while nothing listens there."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10):
            return 200
    except urllib.error.HTTPError as exc:
        return exc.code
    except urllib.error.URLError:
        return 0


def post_progress(stack: Stack, user_id: int, module: str, key: str,
                  request_id: str | None = None) -> urllib.request.Request:
    body = {"user_id": user_id, "kind": "module_completed", "module": module,
            "idempotency_key": key}
    headers = {"Authorization": f"Bearer {stack.web.token}", "Content-Type": "application/json"}
    if request_id:
        headers["X-Request-ID"] = request_id
    request = urllib.request.Request(f"{stack.web.url}/api/v1/progress-events", method="POST",
                                     data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=15) as reply:
        assert reply.status in (200, 202), reply.status
        return reply.headers["X-Request-ID"]


def settled(stack: Stack) -> bool:
    with stack.web.app.app_context():
        pending = db.session.query(ProgressEvent).filter(ProgressEvent.processed_at.is_(None))
        count = pending.count()
        db.session.rollback()
        return count == 0


def test_metrics_are_closed_without_the_scope(stack: Stack) -> None:
    url = f"{stack.web.url}/metrics"
    assert status_of(url) == 401
    assert status_of(url, stack.plain_token) == 403
    assert status_of(url, stack.metrics_token) == 200
    worker_url = f"http://127.0.0.1:{stack.worker.settings['WORKER_METRICS_PORT']}/metrics"
    assert status_of(worker_url) == 401
    assert status_of(worker_url, "ach_not-a-token") == 401
    assert status_of(worker_url, stack.plain_token) == 403


def test_series_move_as_events_are_recorded_and_settled(stack: Stack) -> None:
    web_url = f"{stack.web.url}/metrics"
    worker_url = f"http://127.0.0.1:{stack.worker.settings['WORKER_METRICS_PORT']}/metrics"
    before_web, before_worker = scrape(web_url, stack.metrics_token), scrape(
        worker_url, stack.metrics_token)
    learners = [stack.web.new_learner()["id"] for _ in range(4)]
    for learner in learners:
        for index, module in enumerate(MODULES):
            post_progress(stack, learner, module, f"k{index}")
    post_progress(stack, learners[0], MODULES[0], "k0")  # a replay
    wait_for(lambda: settled(stack), timeout=60, what="every event settled")

    def moved(samples: Samples, before: Samples, name: str, **labels: str) -> float:
        return value(samples, name, **labels) - value(before, name, **labels)

    web = scrape(web_url, stack.metrics_token)  # both gunicorn workers' counts, merged
    events = "achievements_progress_events_total"
    assert moved(web, before_web, events, transport="rest", outcome="created") == 12
    assert moved(web, before_web, events, transport="rest", outcome="replayed") == 1
    assert moved(web, before_web, "achievements_http_requests_total",
                 route="/api/v1/progress-events", method="POST") == 13
    assert value(web, "achievements_outbox_pending_events") == 0

    worker = wait_for(lambda: _all_lags_in(worker_url, stack, before_worker, 12),
                      timeout=30, what="12 lag observations")
    assert moved(worker, before_worker, "achievements_awards_stored_total",
                 type="module_complete") == 12
    assert moved(worker, before_worker, "achievements_awards_stored_total",
                 type="course_complete") == 4
    assert moved(worker, before_worker, "achievements_detection_tasks_total", outcome="ok") >= 1
    assert moved(worker, before_worker, "achievements_awards_published_total") >= 12
    assert value(worker, "achievements_publish_failures_total") == 0
    # Every lag fell in some bucket, and the +Inf bucket counts them all.
    assert moved(worker, before_worker, "achievements_detection_lag_seconds_bucket",
                 le="+Inf") == 12
    assert moved(worker, before_worker, "achievements_detection_lag_seconds_sum") > 0


def _all_lags_in(url: str, stack: Stack, before: Samples, count: int) -> Samples | None:
    samples = scrape(url, stack.metrics_token)
    name = "achievements_detection_lag_seconds_count"
    return samples if value(samples, name) - value(before, name) >= count else None


def test_every_role_passes_the_prometheus_lint(stack: Stack) -> None:
    promtool = shutil.which("promtool")
    require(promtool is not None, "promtool (Debian's prometheus package; tests/run installs it)")
    ports = {"worker": stack.worker.settings["WORKER_METRICS_PORT"],
             "beat": stack.beat.settings["BEAT_METRICS_PORT"], "grpc": stack.grpc_metrics}
    urls = [f"{stack.web.url}/metrics",
            *(f"http://127.0.0.1:{port}/metrics" for port in ports.values())]
    for url in urls:
        request = urllib.request.Request(url, headers={
            "Authorization": f"Bearer {stack.metrics_token}"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            text = reply.read()
        done = subprocess.run([str(promtool), "check", "metrics"], input=text,
                              capture_output=True, timeout=30, check=False)
        assert done.returncode == 0, (url, done.stdout + done.stderr)


def test_the_backlog_counts_old_unprocessed_events(stack: Stack) -> None:
    learner = stack.web.new_learner()["id"]
    with stack.web.app.app_context():  # an event whose enqueue was lost, 5 minutes ago
        old = utcnow() - timedelta(minutes=5)
        event = ProgressEvent(user_id=learner, kind="activity", payload={},
                              idempotency_key="lost", request_hash="x", source="test",
                              occurred_at=old, recorded_at=old)
        db.session.add(event)
        db.session.commit()
        event_id = event.id
    try:
        web = scrape(f"{stack.web.url}/metrics", stack.metrics_token)
        assert value(web, "achievements_outbox_pending_events") >= 1
        assert value(web, "achievements_outbox_stale_events") >= 1
        assert value(web, "achievements_outbox_oldest_pending_seconds") >= 240
    finally:
        with stack.web.app.app_context():
            db.session.get(ProgressEvent, event_id).processed_at = utcnow()
            db.session.commit()


def test_one_request_id_follows_an_event_through_the_logs(stack: Stack) -> None:
    learner = stack.web.new_learner()["id"]
    rid = f"trace-{uuid.uuid4().hex[:12]}"
    assert post_progress(stack, learner, MODULES[0], "traced", request_id=rid) == rid

    def lines() -> list[dict]:
        found = []
        for log in (stack.web.log(), stack.worker.log()):
            for line in log.splitlines():
                if rid in line and line.startswith("{"):
                    found.append(json.loads(line))
        return found

    def complete() -> list[dict] | None:
        messages = {line["message"] for line in lines()}
        wanted = {"progress event recorded", "progress event settled", "award stored",
                  "award published"}
        return lines() if wanted <= messages else None

    traced = wait_for(complete, timeout=30, what=f"every stage logged with {rid}")
    assert all(line["request_id"] == rid for line in traced)
    access = [line for line in traced if line["logger"] == "app.web.access"]
    assert access and access[0]["status"] == 202 and access[0]["transport"] == "rest"
    stored = [line for line in traced if line["message"] == "award stored"]
    assert {line["dedupe_key"] for line in stored} >= {f"module_complete:{MODULES[0]}"}
    assert {"time", "level", "logger", "pid"} <= set(traced[0])


def test_web_and_grpc_logs_are_json_lines_only(stack: Stack) -> None:
    """gunicorn's own lines included (gunicorn.conf.py); Celery's start-up banner is not
    a log line (``celery worker --quiet`` leaves it out)."""
    for log in (stack.web.log(), stack.grpc_log.read_text()):
        lines = [json.loads(line) for line in log.splitlines() if line.strip()]
        assert lines and all({"time", "level", "logger", "message"} <= set(line)
                             for line in lines)
    assert any(line.startswith('{"time"') and "gunicorn.error" in line
               for line in stack.web.log().splitlines())


def test_bad_request_ids_are_replaced(stack: Stack) -> None:
    learner = stack.web.new_learner()["id"]
    given = post_progress(stack, learner, MODULES[1], "bad-id", request_id="x" * 65)
    assert given != "x" * 65 and len(given) == 32


def test_grpc_calls_are_counted_by_method_and_code(stack: Stack) -> None:
    learner = stack.web.new_learner()["id"]
    with grpc.insecure_channel(f"127.0.0.1:{stack.grpc_port}", options=FAST_RECONNECT) as channel:
        wait_for(lambda: serving(channel), timeout=60, what="gRPC SERVING")
        stub = pb_grpc.AchievementServiceStub(channel)
        before = stack.grpc_scrape()
        rid = f"grpc-{uuid.uuid4().hex[:10]}"
        _, call = stub.RecordProgress.with_call(pb.RecordProgressRequest(
            user_id=learner, kind=pb.PROGRESS_KIND_MODULE_COMPLETED, module=MODULES[2],
            request_id="g1"), metadata=(*bearer(stack.plain_token), ("x-request-id", rid)),
            timeout=10)
        assert dict(call.trailing_metadata())["x-request-id"] == rid
        with pytest.raises(grpc.RpcError) as refused:
            stub.GetSummary(pb.GetSummaryRequest(user_id=learner), timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        stream = stub.WatchAchievements(pb.WatchAchievementsRequest(user_id=learner),
                                        metadata=bearer(stack.plain_token))
        live = wait_for(lambda: value(stack.grpc_scrape(), "achievements_live_connections",
                                      transport="grpc") >= 1, what="the open watch stream")
        assert live
        stream.cancel()

    after = stack.grpc_scrape()
    calls = "achievements_grpc_calls_total"
    assert value(after, calls, method="RecordProgress", code="OK") - value(
        before, calls, method="RecordProgress", code="OK") == 1
    assert value(after, calls, method="GetSummary", code="UNAUTHENTICATED") >= 1
    assert value(after, "achievements_progress_events_total", transport="grpc") >= 1
    wait_for(lambda: value(stack.grpc_scrape(), "achievements_live_connections",
                           transport="grpc") == 0, what="the watch stream counted closed")
    assert rid in stack.grpc_log.read_text()


def test_beat_counts_what_it_sends(stack: Stack) -> None:
    url = f"http://127.0.0.1:{stack.beat.settings['BEAT_METRICS_PORT']}/metrics"
    wait_for(lambda: value(scrape(url, stack.metrics_token), "achievements_beat_sent_total",
                           task="achievements.sweep_outbox") >= 1, timeout=30,
             what="beat's sweep counted")
