"""F1 workers killed mid-task and F7 two workers on one learner."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable

from tests.faults.harness import assert_stream_complete, in_background, join_ok
from tests.support.services import Worker, wait_for


def kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def kill_pool_until_a_task_dies(worker: Worker, busy: Callable[[], bool]) -> None:
    """SIGKILL the pool processes until one dies mid-task (celery logs WorkerLostError).

    Batched detection makes tasks short, so a single kill often lands between them.
    """
    deadline = time.monotonic() + 30
    while busy() and "WorkerLostError" not in worker.log() and time.monotonic() < deadline:
        kill(worker.children())
        time.sleep(0.1)


def test_pool_processes_killed_mid_burst_lose_and_double_nothing(burst, live_clients,
                                                                 start_worker):
    scenario = burst(learners=6, units=2, modules=6)
    clients = live_clients(scenario)
    worker = start_worker(concurrency=2, pool="prefork")
    poster = in_background(lambda: scenario.post_all(scenario.app.test_client(),
                                                     scenario.events()))
    wait_for(lambda: scenario.event_count() - scenario.unprocessed() > 0, what="work under way")
    kill_pool_until_a_task_dies(worker, lambda: poster.is_alive() or scenario.unprocessed() > 0)
    join_ok(poster)  # acks_late + reject_on_worker_lost: the main process requeued the tasks

    scenario.assert_exact()
    assert_stream_complete(clients, scenario.expected())
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
