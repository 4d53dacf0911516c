"""The detection gate (PostgreSQL + Redis): one waiting task per shard of learners, and no
event whose enqueue it skipped is ever left unevaluated."""

from __future__ import annotations

import threading

import psycopg
import pytest
import redis
from flask import Flask

from app.extensions import db
from app.infra.gate import DetectionGate, gate
from app.models import User
from app.services.accounts import create_user
from app.services.awarding.detection import BATCH_LEARNERS, evaluate_event
from app.services.catalog import import_catalog
from app.services.recording import ProgressInput, record_progress
from tests.integration.conftest import forget_detection_gate
from tests.integration.test_detection_batch_pg import processed
from tests.support.catalog import catalog_doc
from tests.support.services import Worker, wait_for


@pytest.fixture(autouse=True)
def empty_queue_and_gate(service_settings: dict[str, str]) -> None:
    """These tests count queued tasks: start with none, and with no key a test outside this
    module may have left (its own teardown forgets them, but not every test has one)."""
    redis.Redis.from_url(service_settings["REDIS_URL"]).delete(service_settings["CELERY_QUEUE"])
    forget_detection_gate(service_settings)


def recorded(user_id: int, module: str) -> int:
    """Record a module completion; its task (if any) waits in this run's queue."""
    return record_progress(ProgressInput(user_id=user_id, kind="module_completed",
                                         occurred_at=None, idempotency_key=f"g{module}",
                                         module=module)).event.id


def queued_tasks(settings: dict[str, str]) -> int:
    return redis.Redis.from_url(settings["REDIS_URL"]).llen(settings["CELERY_QUEUE"])


def learner_with_modules(email: str, modules: int) -> int:
    import_catalog(catalog_doc("c1", units=1, modules=modules))
    return create_user(email, "password123").id


def task(event_id: int, user_id: int) -> list:
    """What the worker runs for a task the gate admitted (it carries the shard count)."""
    return evaluate_event(event_id, user_id, gate().shards)


def same_shard_learners(count: int) -> list[int]:
    """``count`` learners of one shard: ids ``shards`` apart, far above the sequence's."""
    shards = gate().shards
    ids = [100_000 + k * shards for k in range(count)]
    db.session.add_all(User(id=i, email=f"s{i}@example.com", password_hash="-") for i in ids)
    db.session.commit()
    return ids


def test_a_burst_for_one_learner_enqueues_one_task(services_app: Flask,
                                                   service_settings: dict) -> None:
    user = learner_with_modules("burst@example.com", 5)
    events = [recorded(user, f"c1-u1-m{m}") for m in range(1, 6)]
    assert queued_tasks(service_settings) == 1
    task(events[0], user)  # the one task: it settles the four skipped events too
    assert all(processed(event) for event in events)


def test_a_burst_over_one_shards_learners_enqueues_one_task(services_app: Flask,
                                                             service_settings: dict) -> None:
    """Learners of one shard share the waiting task, and it evaluates every one of them —
    more of them than one batch locks at once."""
    import_catalog(catalog_doc("c1", units=1, modules=1))
    learners = same_shard_learners(BATCH_LEARNERS + 3)
    events = [recorded(learner, "c1-u1-m1") for learner in learners]
    assert queued_tasks(service_settings) == 1
    new = task(events[0], learners[0])
    assert all(processed(event) for event in events)
    assert {award.user_id for award in new} == set(learners)


def test_another_shards_burst_gets_its_own_task(services_app: Flask,
                                                service_settings: dict) -> None:
    import_catalog(catalog_doc("c1", units=1, modules=1))
    a = create_user("a@example.com", "password123").id
    b = create_user("b@example.com", "password123").id
    assert a % gate().shards != b % gate().shards
    recorded(a, "c1-u1-m1")
    recorded(b, "c1-u1-m1")
    assert queued_tasks(service_settings) == 2


def test_a_learner_another_detection_holds_is_evaluated_after_it_commits(
        services_app: Flask, service_settings: dict) -> None:
    """The shard task skips a learner it cannot lock in its batch, then waits for it:
    the holder may have read that learner's pending events before this one committed."""
    import_catalog(catalog_doc("c1", units=1, modules=1))
    first, held = same_shard_learners(2)
    events = [recorded(first, "c1-u1-m1"), recorded(held, "c1-u1-m1")]
    url = service_settings["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    holder = psycopg.connect(url)
    holder.execute("SELECT id FROM users WHERE id = %s FOR NO KEY UPDATE", (held,))
    threading.Timer(0.5, holder.close).start()  # "the other detection" ends without settling
    task(events[0], first)
    assert processed(events[1])


def test_a_shard_is_read_a_scan_at_a_time_to_its_last_learner(services_app: Flask,
                                                               service_settings: dict,
                                                               monkeypatch) -> None:
    from app.services.awarding import detection

    monkeypatch.setattr(detection, "SHARD_SCAN", 2)
    import_catalog(catalog_doc("c1", units=1, modules=1))
    learners = same_shard_learners(5)
    events = [recorded(learner, "c1-u1-m1") for learner in reversed(learners)]
    assert queued_tasks(service_settings) == 1
    new = task(events[0], learners[-1])
    assert all(processed(event) for event in events)
    assert {award.user_id for award in new} == set(learners)
    assert queued_tasks(service_settings) == 1  # no task beyond the one the gate admitted


def test_an_event_recorded_after_the_release_gets_its_own_task(services_app: Flask,
                                                              service_settings: dict) -> None:
    user = learner_with_modules("after@example.com", 2)
    first = recorded(user, "c1-u1-m1")
    task(first, user)
    recorded(user, "c1-u1-m2")
    assert queued_tasks(service_settings) == 2


def test_a_task_released_on_receipt_reads_without_releasing_again(
        services_app: Flask, service_settings: dict) -> None:
    """The worker released the gate when it received the task (the task's mark): the task
    skips its own release and still settles every pending event of the shard. A key set
    after the receipt belongs to a recorder that enqueued a task of its own, so it stays."""
    from app.infra.gate import release_on_receipt, released_on_receipt

    user = learner_with_modules("receipt@example.com", 2)
    first = recorded(user, "c1-u1-m1")
    release_on_receipt(services_app, user, gate().shards, "task-1")
    second = recorded(user, "c1-u1-m2")  # finds the gate open: sets it, enqueues
    assert queued_tasks(service_settings) == 2
    evaluate_event(first, user, gate().shards, gate_released=released_on_receipt("task-1"))
    assert processed(first) and processed(second)
    assert redis.Redis.from_url(service_settings["REDIS_URL"]).exists(gate().key(user))
    evaluate_event(second, user, gate().shards)  # the second task: no mark, it releases
    assert not redis.Redis.from_url(service_settings["REDIS_URL"]).exists(gate().key(user))


def test_a_task_whose_event_a_batch_settled_still_evaluates_skipped_events(
        services_app: Flask, service_settings: dict) -> None:
    """Learner A's event is settled by B's batch (a task queued without a shard count, as
    with the gate off: it fills its batch from any shard); A's next event finds A's task
    waiting and skips its enqueue; A's task must evaluate that event, not return because
    its own is done."""
    import_catalog(catalog_doc("c1", units=1, modules=3))
    a = create_user("a@example.com", "password123").id
    b = create_user("b@example.com", "password123").id
    a_first, b_first = recorded(a, "c1-u1-m1"), recorded(b, "c1-u1-m3")
    evaluate_event(b_first, b)  # B's batch locks A too and settles A's first event
    assert processed(a_first)
    a_skipped = recorded(a, "c1-u1-m2")
    assert queued_tasks(service_settings) == 2  # A's first task and B's: none for a_skipped
    task(a_first, a)
    assert processed(a_skipped)


def test_the_sweep_bypasses_a_key_left_behind(services_app: Flask,
                                              service_settings: dict) -> None:
    """A process killed between SET and enqueue leaves the key: the sweep still hands the
    learner's events over, and their task releases the key."""
    user = learner_with_modules("orphan@example.com", 1)
    assert gate().admit(user)  # the orphaned key: no task behind it
    event = recorded(user, "c1-u1-m1")
    assert queued_tasks(service_settings) == 0
    from app.services.recording.outbox import sweep

    assert sweep(age_seconds=0) == 1
    task(event, user)
    assert processed(event)
    assert gate().admit(user)


def test_the_sweep_sends_one_task_per_shard_it_finds(services_app: Flask,
                                                    service_settings: dict) -> None:
    """Events whose enqueue was lost (keys left set, no task behind them): the sweep hands
    each shard over once, and the shard's task settles all of its learners."""
    from app.services.recording.outbox import sweep

    import_catalog(catalog_doc("c1", units=1, modules=1))
    shard_mates = same_shard_learners(3)
    other = create_user("other@example.com", "password123").id
    assert other % gate().shards != shard_mates[0] % gate().shards
    for learner in (*shard_mates, other):
        gate().admit(learner)  # orphaned keys: every recording below skips its enqueue
    events = [recorded(learner, "c1-u1-m1") for learner in (*shard_mates, other)]
    assert queued_tasks(service_settings) == 0
    assert sweep(age_seconds=0) == 2
    task(events[0], shard_mates[0])
    task(events[-1], other)
    assert all(processed(event) for event in events)


def test_a_real_worker_awards_a_burst_it_got_one_task_for(services_app: Flask,
                                                          service_settings: dict,
                                                          start_worker) -> None:
    user = learner_with_modules("worker@example.com", 8)
    events = [recorded(user, f"c1-u1-m{m}") for m in range(1, 9)]
    assert queued_tasks(service_settings) == 1
    start_worker("gate", concurrency=2)
    wait_for(lambda: all(processed(event) for event in events), what="the burst settled")


def test_keys_expire_so_an_orphaned_one_cannot_hold_a_learner_forever(
        service_settings: dict) -> None:
    gate_ = DetectionGate(service_settings["REDIS_URL"], service_settings["CHANNEL_PREFIX"], 30)
    assert gate_.admit(7)
    ttl = redis.Redis.from_url(service_settings["REDIS_URL"]).ttl(gate_.key(7))
    assert 0 < ttl <= 30
    gate_.release(7, 16)


def test_a_failed_enqueue_reopens_the_gate(services_app: Flask, monkeypatch) -> None:
    from app.services.recording import dispatch

    def broker_down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(dispatch.celery, "signature", broker_down)
    assert dispatch.enqueue_evaluation(1, 42) is False
    assert gate().admit(42)  # the next event of learner 42 tries to enqueue again


def test_a_worker_releases_the_gate_when_it_receives_the_task(services_app: Flask,
                                                              service_settings: dict) -> None:
    """Its only thread is stuck behind A's lock, yet B's gate opens as soon as the worker
    holds B's task: a worker that died now would delay B's later events no longer. (Our
    workers reserve one task per thread, so receipt is about when a task starts; one run
    with a larger ``--prefetch-multiplier`` holds tasks it cannot start yet.)"""
    import_catalog(catalog_doc("c1", units=1, modules=3))
    a = create_user("held@example.com", "password123").id
    b = create_user("waiting@example.com", "password123").id
    url = service_settings["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    client = redis.Redis.from_url(service_settings["REDIS_URL"])
    worker = Worker(service_settings, concurrency=1, name="one-thread")
    worker.extra_args = ["--prefetch-multiplier", "4"]
    try:
        with psycopg.connect(url) as holder:  # another detection holds A
            holder.execute("SELECT id FROM users WHERE id = %s FOR NO KEY UPDATE", (a,))
            recorded(a, "c1-u1-m1")
            worker.start()
            wait_for(lambda: queued_tasks(service_settings) == 0, what="A's task taken")
            b_first = recorded(b, "c1-u1-m2")
            wait_for(lambda: not client.exists(gate().key(b)),
                     what="B's gate released on receipt")
            assert not processed(b_first)  # received, not run: the thread still waits for A
            b_second = recorded(b, "c1-u1-m3")
            wait_for(lambda: queued_tasks(service_settings) == 0,
                     what="B's second task taken too")
        wait_for(lambda: processed(b_first) and processed(b_second), what="B's events settled")
    finally:
        worker.stop()
