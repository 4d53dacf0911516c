"""gRPC WatchAchievements on PostgreSQL + Redis: awards made by a real Celery worker process."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from flask import Flask

from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.grpc.generated.achievements.v1 import achievements_pb2_grpc as pb_grpc
from app.grpc.server import AchievementsServer
from app.services.accounts import create_token, create_user
from tests.support.catalog import build_catalog
from tests.support.grpc_client import bearer, next_awards
from tests.support.services import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def grpc_stub(services_app: Flask) -> Iterator[pb_grpc.AchievementServiceStub]:
    services_app.config["ACHIEVEMENTS_CONFIG"].GRPC_HEARTBEAT_SECONDS = 0.5
    server = AchievementsServer(services_app, host="127.0.0.1", port=0).start()
    with grpc.insecure_channel(server.address) as channel:
        yield pb_grpc.AchievementServiceStub(channel)
    server.stop(grace=1)


@pytest.fixture
def lms() -> tuple[tuple[str, str], ...]:
    token = create_token("lms", ["progress:write", "achievements:read"])[1]
    return bearer(token)


def record(stub, metadata, user_id: int, module: str) -> None:
    stub.RecordProgress(pb.RecordProgressRequest(
        request_id=module, user_id=user_id, kind=pb.PROGRESS_KIND_MODULE_COMPLETED,
        module=module), metadata=metadata, timeout=10)


def stored_ids(stub, metadata, user_id: int) -> list[int]:
    reply = stub.ListAchievements(pb.ListAchievementsRequest(user_id=user_id, page_size=100),
                                  metadata=metadata, timeout=10)
    return sorted(a.id for a in reply.achievements)


def open_watch(stub, metadata, **fields):
    stream = stub.WatchAchievements(pb.WatchAchievementsRequest(**fields), metadata=metadata,
                                    timeout=60)
    assert next(stream).WhichOneof("event") == "heartbeat"  # subscribed: nothing can be missed
    return stream


def test_watch_receives_an_award_made_by_the_worker_process(grpc_stub, lms,
                                                            start_worker) -> None:
    build_catalog("c1", units=1, modules=2)
    learner = create_user("grpc-watch@example.com", "password123")
    stream = open_watch(grpc_stub, lms, user_id=learner.id)
    record(grpc_stub, lms, learner.id, "c1-u1-m1")
    assert stored_ids(grpc_stub, lms, learner.id) == []  # not eager: only a worker awards

    worker = start_worker()
    award = next_awards(stream, 1)[0]
    stream.cancel()
    assert award.dedupe_key == "module_complete:c1-u1-m1" and award.user_id == learner.id
    assert "achievements.evaluate_progress_event" in worker.log()


def test_a_resumed_watch_misses_and_repeats_nothing(grpc_stub, lms, start_worker) -> None:
    build_catalog("c1", units=1, modules=2)
    learner = create_user("grpc-resume@example.com", "password123")
    start_worker()
    first = open_watch(grpc_stub, lms, user_id=learner.id, after_id=0)
    record(grpc_stub, lms, learner.id, "c1-u1-m1")
    before_drop = next_awards(first, 1)
    first.cancel()

    record(grpc_stub, lms, learner.id, "c1-u1-m2")  # completes unit and course meanwhile
    expected = wait_for(lambda: len(ids := stored_ids(grpc_stub, lms, learner.id)) >= 6 and ids,
                        what="every award of the course")
    resumed = grpc_stub.WatchAchievements(pb.WatchAchievementsRequest(
        user_id=learner.id, after_id=before_drop[-1].id), metadata=lms, timeout=60)
    after_drop = next_awards(resumed, len(expected) - 1)
    resumed.cancel()
    assert [a.id for a in before_drop + after_drop] == expected
