"""The detection gate when it has no Redis to use: every event gets its own task."""

from __future__ import annotations

import pytest
import redis

from app.infra.gate import DetectionGate
from tests.support.services import free_port


def test_embedded_admits_every_event() -> None:
    gate = DetectionGate(None, "p", 30)
    assert gate.admit(1) and gate.admit(1)
    gate.release(1, 16)


def test_zero_seconds_turns_the_gate_off() -> None:
    gate = DetectionGate("redis://127.0.0.1:6379/0", "p", 0)
    assert not gate.enabled
    assert gate.admit(1) and gate.admit(1)


def test_unreachable_redis_admits_so_the_enqueue_is_tried() -> None:
    gate = DetectionGate(f"redis://127.0.0.1:{free_port()}/0", "p", 30)
    assert gate.admit(1)
    gate.reopen(1)  # best effort, never raises


def test_unreachable_redis_fails_the_release_so_detection_retries() -> None:
    gate = DetectionGate(f"redis://127.0.0.1:{free_port()}/0", "p", 30)
    with pytest.raises(redis.RedisError):
        gate.release(1, 16)


def test_eager_tasks_need_no_gate(app) -> None:
    from app.infra.gate import gate

    assert not gate().enabled


def test_learners_share_a_key_by_shard_and_tasks_name_their_shard_count() -> None:
    gate = DetectionGate("redis://127.0.0.1:6379/0", "p", 30, shards=8)
    assert gate.shards == 8
    assert gate.key(3) == gate.key(11) == "p:detect-waiting:8:3"
    assert gate.key(3, shards=4) == "p:detect-waiting:4:3"  # a task admitted by another count
    assert DetectionGate(None, "p", 30, shards=8).shards is None  # off: tasks carry none


def test_a_shard_count_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="SHARDS"):
        DetectionGate(None, "p", 30, shards=0)


def test_a_receipt_release_marks_its_task_once_and_only_when_it_succeeded() -> None:
    from flask import Flask

    from app.infra.gate import release_on_receipt, released_on_receipt

    app = Flask(__name__)
    app.extensions["detection_gate"] = DetectionGate(None, "p", 30)  # releasing succeeds
    release_on_receipt(app, 1, 16, "task-a")
    assert released_on_receipt("task-a")
    assert not released_on_receipt("task-a")  # used up: a second run releases by itself
    assert not released_on_receipt(None) and not released_on_receipt("never-received")
    app.extensions["detection_gate"] = DetectionGate(f"redis://127.0.0.1:{free_port()}/0",
                                                     "p", 30)
    release_on_receipt(app, 1, 16, "task-b")  # Redis unreachable: logged, not raised
    assert not released_on_receipt("task-b")
