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
def learner_locked(pg_url: str, user_id: int) -> Iterator[None]:
    """Hold one learner's detection lock, as another detection would: their task waits for it
    inside a pool process, mid-task, for as long as the test needs."""
    with psycopg.connect(pg_url) as holder:
        holder.execute("SELECT id FROM users WHERE id = %s FOR NO KEY UPDATE", (user_id,))
        yield


def waiting_for_a_lock(pg_url: str) -> bool:
    return sql(pg_url, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                       "AND datname = current_database()")[0][0] > 0


def test_pool_processes_killed_mid_burst_lose_and_double_nothing(burst, live_clients,
                                                                 start_worker, pg_url):
    """A task is killed for sure mid-task (one learner's lock is held, so their task waits
    inside a pool process when the pool is killed), while the burst goes on."""
    scenario = burst(learners=6, units=2, modules=6)
    clients = live_clients(scenario)
    worker = start_worker(concurrency=2, pool="prefork")
    poster = in_background(lambda: scenario.post_all(scenario.app.test_client(),
                                                     scenario.events()))
    with learner_locked(pg_url, scenario.learners[0].user_id):
        wait_for(lambda: waiting_for_a_lock(pg_url), what="a task waiting mid-task")
        kill(worker.children())
        wait_for(lambda: "WorkerLostError" in worker.log(), what="the task's loss noticed")
    join_ok(poster)  # acks_late + reject_on_worker_lost: the main process requeued the task

    scenario.assert_exact()
    assert_stream_complete(clients, scenario.expected())


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
