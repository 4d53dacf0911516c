"""WatchAchievements: live awards, replay with after_id, admin watch, stream limits."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import grpc
import pytest

from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from tests.grpc.conftest import code_of, complete
from tests.support.grpc_client import next_awards
from tests.support.services import wait_for


def watch(stub, metadata, **fields) -> grpc.Future:
    """Open a stream; returns once the server has subscribed (its first heartbeat arrived)."""
    stream = stub.WatchAchievements(pb.WatchAchievementsRequest(**fields), metadata=metadata,
                                    timeout=30)
    first = next(stream)
    if first.WhichOneof("event") == "achievement":
        stream.replayed = [first.achievement]  # type: ignore[attr-defined]
    return stream


def awards(stream: Iterator[pb.WatchAchievementsResponse], count: int) -> list[pb.Achievement]:
    """The next ``count`` awards of the stream (the one ``watch`` read first included)."""
    received = list(getattr(stream, "replayed", []))
    stream.replayed = []  # type: ignore[attr-defined]
    return received + next_awards(stream, count - len(received))


def all_ids(stub, metadata, user_id: int) -> list[int]:
    reply = stub.ListAchievements(pb.ListAchievementsRequest(user_id=user_id, page_size=100),
                                  metadata=metadata)
    return sorted(a.id for a in reply.achievements)


def test_a_watch_stream_receives_a_new_award(stub, service, catalog, learner) -> None:
    stream = watch(stub, service, user_id=learner.id)
    complete(stub, service, learner.id, "c1-u1-m1")
    received = awards(stream, 1)
    assert received[0].dedupe_key == "module_complete:c1-u1-m1"
    assert received[0].type == pb.ACHIEVEMENT_TYPE_MODULE_COMPLETE
    stream.cancel()


def test_idle_streams_get_heartbeats(stub, service, learner) -> None:
    stream = watch(stub, service, user_id=learner.id)
    assert next(stream).heartbeat.sent_at.seconds > 0
    stream.cancel()


def test_after_id_resumes_a_dropped_stream_without_miss_or_repeat(stub, service, catalog,
                                                                    learner) -> None:
    complete(stub, service, learner.id, "c1-u1-m1")
    first = watch(stub, service, user_id=learner.id, after_id=0)
    before_drop = awards(first, 1)
    first.cancel()  # dropped after one award; the rest were made or replayed meanwhile
    complete(stub, service, learner.id, "c1-u1-m2")
    expected = all_ids(stub, service, learner.id)

    resumed = watch(stub, service, user_id=learner.id, after_id=before_drop[-1].id)
    after_drop = awards(resumed, len(expected) - 1)
    resumed.cancel()
    assert [a.id for a in before_drop + after_drop] == expected


def test_watching_every_learner_with_the_admin_scope(stub, service, token_metadata, catalog,
                                                     make_user) -> None:
    ada, bob = make_user(), make_user()
    stream = watch(stub, token_metadata("achievements:admin"), all_learners=True)
    complete(stub, service, ada.id, "c1-u1-m1")
    complete(stub, service, bob.id, "c1-u1-m1")
    learners = {a.user_id for a in awards(stream, 4)}
    stream.cancel()
    assert learners == {ada.id, bob.id}


def test_all_learners_with_a_user_id_is_invalid_argument(stub, token_metadata) -> None:
    request = pb.WatchAchievementsRequest(all_learners=True, user_id=3)
    metadata = token_metadata("achievements:admin")
    assert code_of(lambda: next(stub.WatchAchievements(request, metadata=metadata, timeout=5))) \
        == grpc.StatusCode.INVALID_ARGUMENT


def test_negative_after_id_is_invalid_argument(stub, service, learner) -> None:
    request = pb.WatchAchievementsRequest(user_id=learner.id, after_id=-1)
    assert code_of(lambda: next(stub.WatchAchievements(request, metadata=service, timeout=5))) \
        == grpc.StatusCode.INVALID_ARGUMENT


def test_streams_beyond_the_limit_are_refused_until_one_is_cancelled(
        app, stub, service, learner) -> None:
    limit = app.config["ACHIEVEMENTS_CONFIG"].GRPC_MAX_STREAMS
    open_streams = [watch(stub, service, user_id=learner.id) for _ in range(limit)]
    assert code_of(lambda: watch(stub, service, user_id=learner.id)) == \
        grpc.StatusCode.RESOURCE_EXHAUSTED
    open_streams.pop().cancel()
    replacement = wait_for(lambda: _try_watch(stub, service, learner.id), timeout=5,
                           what="a freed stream slot")
    for stream in [*open_streams, replacement]:
        stream.cancel()


def _try_watch(stub, service, user_id: int):
    try:
        return watch(stub, service, user_id=user_id)
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
            raise
        return None


def test_server_stop_ends_open_streams_with_unavailable(stub, service, learner,
                                                        grpc_server) -> None:
    stream = watch(stub, service, user_id=learner.id)
    started = time.monotonic()
    stopper = threading.Thread(target=grpc_server.stop, kwargs={"grace": 10})
    stopper.start()
    with pytest.raises(grpc.RpcError) as ended:
        while True:
            next(stream)
    assert ended.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "after_id" in ended.value.details()
    stopper.join(timeout=15)
    assert time.monotonic() - started < 5  # ended by the stop itself, not by the grace timeout
