"""F4: the same task delivered more than once and the same event posted concurrently."""

from __future__ import annotations

import threading

from app.extensions import celery
from tests.faults.harness import in_background, join_ok, sql

EVALUATE = "achievements.evaluate_progress_event"


def test_same_task_delivered_three_times_awards_once(burst, start_worker):
    scenario = burst(learners=2, units=2, modules=4)
    scenario.post_all(scenario.app.test_client(), scenario.events())
    for (event_id,) in sql(scenario.database_url, "SELECT id FROM progress_events"):
        celery.send_task(EVALUATE, args=(event_id,))  # the POST enqueued the first copy
        celery.send_task(EVALUATE, args=(event_id,))
    start_worker(name="a", concurrency=2)
    start_worker(name="b", concurrency=2)

    scenario.assert_exact()


def test_same_event_posted_concurrently_is_stored_once(burst, start_worker):
    scenario = burst(learners=1, units=1, modules=2)
    learner = scenario.learners[0]
    gate = threading.Barrier(8)
    answers: list[int] = []

    def post_same() -> None:
        client = scenario.app.test_client()
        gate.wait(timeout=10)
        answers.append(scenario.post(client, learner, learner.modules[0])["id"])

    for thread in [in_background(post_same) for _ in range(8)]:
        join_ok(thread)
    assert len(answers) == 8 and len(set(answers)) == 1
    assert scenario.event_count() == 1

    scenario.post_all(scenario.app.test_client(), scenario.events())
    start_worker()
    scenario.assert_exact()
    assert scenario.event_count() == len(learner.modules)
