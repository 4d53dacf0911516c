"""F1 workers killed mid-task, F7 two workers on one learner, F4 the same task delivered twice."""

from __future__ import annotations

import contextlib
import os
import signal

from app.extensions import celery
from tests.faults.harness import assert_stream_complete, in_background, join_ok
from tests.support.services import wait_for

EVALUATE = "achievements.evaluate_progress_event"


def kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_pool_processes_killed_mid_burst_lose_and_double_nothing(burst, live_clients,
                                                                 start_worker):
    scenario = burst(learners=3, units=2, modules=6)
    clients = live_clients(scenario)
    worker = start_worker(concurrency=2)
    poster = in_background(lambda: scenario.post_all(scenario.app.test_client(),
                                                     scenario.events()))
    wait_for(lambda: scenario.event_count() - scenario.unprocessed() > 0, what="work under way")
    killed = worker.children()
    kill(killed)  # acks_late + reject_on_worker_lost: the main process requeues their tasks
    join_ok(poster)

    scenario.assert_exact()
    assert_stream_complete(clients, scenario.expected())
    assert killed and "WorkerLostError" in worker.log()


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


def test_same_task_delivered_twice_awards_once(burst, start_worker):
    scenario = burst(learners=2, units=2, modules=4)
    scenario.post_all(scenario.app.test_client(), scenario.events())
    ids = [row[0] for row in scenario_events(scenario)]
    for event_id in ids:  # the first copy was enqueued by the POST; add two more
        celery.send_task(EVALUATE, args=(event_id,))
        celery.send_task(EVALUATE, args=(event_id,))
    start_worker(name="a", concurrency=2)
    start_worker(name="b", concurrency=2)

    scenario.assert_exact()


def scenario_events(scenario):  # type: ignore[no-untyped-def]
    from tests.faults.harness import sql

    return sql(scenario.database_url, "SELECT id FROM progress_events ORDER BY id")
