"""F1 workers killed mid-task and F7 two workers on one learner."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator

import psycopg

from tests.faults.harness import assert_stream_complete, in_background, join_ok, sql
from tests.support.services import wait_for


def kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def learner_locked(pg_url: str, user_id: int) -> Iterator[int]:
    """Hold one learner's detection lock, as another detection would: their task waits for it
    inside a pool process, mid-task, for as long as the test needs. Yields the holder's
    backend pid."""
    with psycopg.connect(pg_url) as holder:
        holder.execute("SELECT id FROM users WHERE id = %s FOR NO KEY UPDATE", (user_id,))
        yield holder.info.backend_pid


BLOCKED_BY = """WITH RECURSIVE waiting(pid) AS (
    SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))
    UNION SELECT a.pid FROM pg_stat_activity a
          JOIN waiting w ON w.pid = ANY(pg_blocking_pids(a.pid))
) SELECT pid FROM waiting"""


def blocked_by(pg_url: str, holder: int) -> set[int]:
    """Backends waiting, directly or in line behind another waiter, for the holder's lock:
    detections of the held learner, mid-task. (The second waiter for a row lock waits for
    the first, which holds the row's tuple lock, not for the holder.)"""
    return {row[0] for row in sql(pg_url, BLOCKED_BY, (holder,))}


def pending(pg_url: str, user_id: int) -> int:
    return sql(pg_url, "SELECT count(*) FROM progress_events "
                       "WHERE user_id = %s AND processed_at IS NULL", (user_id,))[0][0]


def test_pool_process_killed_mid_task_is_redelivered_and_loses_nothing(burst, live_clients,
                                                                       start_worker, pg_url):
    """F1: the pool processes are killed while one task is surely inside detection (its
    learner's lock is held, so it waits there) and the burst goes on. acks_late +
    reject_on_worker_lost: the worker requeues that task and it runs again, in a new pool
    process; every award is stored once, the outbox settles, every stream is complete.

    Only that task can settle the held learner's first event: no beat runs, their next
    events are posted only after it is seen again, and no other learner shares their shard.
    """
    scenario = burst(learners=6, units=2, modules=6)
    held, *others = scenario.learners
    shards = scenario.app.extensions["detection_gate"].shards
    assert shards and all((lr.user_id - held.user_id) % shards for lr in others)
    clients = live_clients(scenario)
    worker = start_worker(concurrency=2, pool="prefork")
    client = scenario.app.test_client()
    with learner_locked(pg_url, held.user_id) as holder:
        scenario.post(client, held, held.modules[0])  # one task: it waits for the lock
        poster = in_background(lambda: scenario.post_all(scenario.app.test_client(), [
            pair for pair in scenario.events() if pair[0] is not held]))
        killed = wait_for(lambda: blocked_by(pg_url, holder), what="the task inside detection")
        kill(worker.children())
        # The killed client's backend may wait on: the task's new run is a backend besides it.
        wait_for(lambda: blocked_by(pg_url, holder) - killed, what="the task run again")
    wait_for(lambda: pending(pg_url, held.user_id) == 0, what="the redelivered task's event")
    assert {f"module_complete:{held.modules[0]}", "milestone:modules:1"} <= set(
        scenario.stored()[held.user_id])
    scenario.post_all(client, [(held, module) for module in held.modules[1:]])
    join_ok(poster)

    scenario.assert_exact()
    assert_stream_complete(clients, scenario.expected())
    # Secondary: the redelivery came from the worker's own requeue (reject_on_worker_lost),
    # logged before it, not from the broker's visibility timeout.
    assert "WorkerLostError" in worker.log()


def test_whole_worker_killed_is_replaced_and_redelivery_recovers(burst, live_clients,
                                                                 start_worker, beat):
    scenario = burst(learners=3, units=2, modules=6)
    clients = live_clients(scenario)
    first = start_worker(name="doomed", concurrency=2)
    poster = in_background(lambda: scenario.post_all(scenario.app.test_client(),
                                                     scenario.events()))
    wait_for(lambda: scenario.event_count() - scenario.unprocessed() > 0, what="work under way")
    kill([*first.children(), first.pid])  # nothing acks: visibility timeout + sweep redeliver
    join_ok(poster)
    start_worker(name="replacement", concurrency=2)

    scenario.assert_exact()
    assert_stream_complete(clients, scenario.expected())


def test_two_workers_on_one_learner_award_exactly_once_in_order(burst, live_clients,
                                                                start_worker):
    scenario = burst(learners=1, units=4, modules=6)
    clients = live_clients(scenario)  # live from the start: a commit-order gap would show here
    start_worker(name="a", concurrency=2)
    start_worker(name="b", concurrency=2)
    scenario.post_all(scenario.app.test_client(), scenario.events())

    scenario.assert_exact()
    assert_stream_complete(clients, scenario.expected())
    assert clients[scenario.learners[0].user_id].connections == 1


def test_concurrent_writers_over_shared_shards_award_exactly_once(burst, live_clients,
                                                                  start_worker, services_app):
    """F7 across learners: three writers at once, twelve learners packed into four gate
    shards, two workers. Recorders skip enqueues while their shard's task waits, tasks
    settle whole shards in batches, workers race for the same learners' locks: still every
    award once, and every learner's stream complete and in order."""
    from app.infra.gate import DetectionGate

    settings = services_app.config["ACHIEVEMENTS_CONFIG"]
    services_app.extensions["detection_gate"] = DetectionGate(
        settings.REDIS_URL, settings.CHANNEL_PREFIX, settings.DETECTION_GATE_SECONDS, shards=4)
    scenario = burst(learners=12, units=2, modules=3)
    clients = live_clients(scenario)
    start_worker(name="a", concurrency=2)
    start_worker(name="b", concurrency=2)
    events = scenario.events()
    writers = [in_background(lambda part=events[i::3]: scenario.post_all(
        scenario.app.test_client(), part)) for i in range(3)]
    for writer in writers:
        join_ok(writer)

    scenario.assert_exact()
    assert_stream_complete(clients, scenario.expected())
