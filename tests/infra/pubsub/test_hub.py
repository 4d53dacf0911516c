"""The per-process hub: fan-out by learner, bounded inboxes, live replay from the database."""

from __future__ import annotations

import threading

from app.domain.registry import AwardDue
from app.extensions import db
from app.infra.pubsub import hub
from app.infra.pubsub.hub import QUEUE_SIZE, RESYNC, Hub
from app.infra.pubsub.memory_backend import MemoryBackend
from app.read.live import follow
from app.services.awarding.awards import insert_awards
from app.web.sse import CONNECTED, event_stream, format_event, parse_last_event_id
from tests.support.services import wait_for


def test_a_message_reaches_only_its_learners_inboxes() -> None:
    local = Hub(MemoryBackend())
    mine, theirs, admin = local.subscribe(1), local.subscribe(2), local.subscribe(None)
    local.publish(1, {"id": 7})
    assert mine.get(0.1) == {"id": 7}
    assert admin.get(0.1) == {"id": 7}
    assert theirs.get(0.01) is None


def test_a_stalled_inbox_gets_one_resync_instead_of_a_backlog() -> None:
    local = Hub(MemoryBackend())
    sub = local.subscribe(1)
    for n in range(QUEUE_SIZE + 5):
        local.publish(1, {"id": n})
    drained = [sub.get(0.01) for _ in range(QUEUE_SIZE + 5)]
    assert RESYNC in drained
    assert len([m for m in drained if m is not None]) <= QUEUE_SIZE


def test_a_message_offered_before_the_reader_waits_is_not_lost() -> None:
    sub = Hub(MemoryBackend()).subscribe(1)
    sub.offer({"id": 1})
    sub.offer({"id": 2})
    assert [sub.get(0.01), sub.get(0.01), sub.get(0.01)] == [{"id": 1}, {"id": 2}, None]


def test_a_reader_wakes_when_another_thread_offers() -> None:
    sub = Hub(MemoryBackend()).subscribe(1)
    threading.Timer(0.05, sub.offer, args=({"id": 3},)).start()
    assert sub.get(5) == {"id": 3}


def test_a_learner_with_two_tabs_has_two_inboxes() -> None:
    local = Hub(MemoryBackend())
    first, second = local.subscribe(1), local.subscribe(1)
    local.unsubscribe(first)
    local.unsubscribe(first)  # a second close changes nothing
    local.publish(1, {"id": 4})
    assert second.get(0.1) == {"id": 4}
    assert first.get(0.01) is None
    assert local.connection_count() == 1


def test_unsubscribing_forgets_the_learner() -> None:
    local = Hub(MemoryBackend())
    sub = local.subscribe(1)
    local.unsubscribe(sub)
    assert local.connection_count() == 0
    assert 1 not in local._subs


def give(user_id: int, key: str, silent: bool = False) -> int:
    [stored] = insert_awards(user_id, [AwardDue("milestone", key, key, "", {})],
                             source_event_id=None, silent=silent)
    db.session.commit()
    return stored.id


def test_follow_replays_after_the_last_id_and_skips_silent_awards(app, learner) -> None:  # type: ignore[no-untyped-def]
    first = give(learner.id, "a")
    give(learner.id, "backfilled", silent=True)
    third = give(learner.id, "c")
    stream = follow(app, learner.id, first, heartbeat=0.05)
    assert next(stream)["id"] == third
    assert next(stream) is None  # then only heartbeats while nothing happens
    stream.close()
    assert hub(app).connection_count() == 0


def test_follow_wakes_on_a_publish(app, learner) -> None:  # type: ignore[no-untyped-def]
    stream = follow(app, learner.id, 0, heartbeat=5)  # as live.js does: an explicit start
    received: list[dict] = []
    reader = threading.Thread(target=lambda: received.append(next(stream)))
    reader.start()
    wait_for(lambda: hub(app).connection_count() == 1, timeout=5, what="the subscription")
    new_id = give(learner.id, "live")
    hub(app).publish(learner.id, {"id": new_id})
    reader.join(timeout=10)
    assert received and received[0]["id"] == new_id
    stream.close()


def test_last_event_id_header_wins_and_junk_is_ignored() -> None:
    assert parse_last_event_id("12", "3") == (12, 0)
    assert parse_last_event_id(None, "3") == (3, 0)
    assert parse_last_event_id(None, "3.7") == (3, 7)  # award id, then standing change id
    assert parse_last_event_id("x", None) is None
    assert parse_last_event_id("1.2.3", "4") == (4, 0)
    assert parse_last_event_id("9" * 30, None) is None


def test_an_event_carries_the_award_id() -> None:
    frame = format_event({"id": 5, "title": "t"})
    assert frame.startswith("event: achievement\nid: 5\ndata: {")
    assert frame.endswith("\n\n")


def test_embedded_follow_finds_awards_another_process_made(app, learner) -> None:  # type: ignore[no-untyped-def]
    """In-process pub/sub can't hear the demo's gRPC process: readers poll the database."""
    hub(app).backend.poll_seconds = 0.05
    stream = follow(app, learner.id, None, heartbeat=5.0)
    assert next(stream) is None  # connected, nothing new yet
    made_elsewhere = give(learner.id, "written-by-another-process")  # never published
    received = next(a for a in stream if a is not None)
    assert received["id"] == made_elsewhere
    stream.close()


def test_the_stream_body_is_bytes_resumed_after_the_last_id(app, learner) -> None:  # type: ignore[no-untyped-def]
    """Bytes, for a ``direct_passthrough`` response; closing it unsubscribes."""
    first = give(learner.id, "a")
    second = give(learner.id, "b")
    body = event_stream(app, learner.id, first)
    assert next(body) == CONNECTED
    assert next(body).startswith(f"event: achievement\nid: {second}\ndata: ".encode())
    body.close()
    assert hub(app).connection_count() == 0
