"""Revocations and restores reach a learner's live feed like awards: woken by pub/sub,
read from the database after the last change id sent, replayed on resume."""

from __future__ import annotations

import json
import threading

from app.infra.pubsub import hub
from app.read.live import follow
from app.services.awarding.revocation import restore_awards, revoke_award, revoke_awards
from app.web.sse import event_stream
from tests.infra.pubsub.test_hub import give
from tests.support.services import wait_for


def frames(body, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    """The next ``count`` event frames of an SSE body (pings skipped)."""
    seen: list[str] = []
    for chunk in body:
        text = chunk.decode()
        if text.startswith("event:"):
            seen.append(text)
            if len(seen) == count:
                return seen
    raise AssertionError("the stream ended")


def fields(frame: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in frame.strip().splitlines())


def test_a_revocation_wakes_an_open_feed_with_its_reason(app, learner) -> None:  # type: ignore[no-untyped-def]
    award = give(learner.id, "a")
    stream = follow(app, learner.id, 0, heartbeat=5)
    # The award replayed first: by then the feed has read where it starts, so the
    # revocation below is news to it (one committed before that read would count as
    # already seen by a page opened after it, and only a heartbeat would follow).
    assert next(stream)["id"] == award
    received: list[dict] = []
    reader = threading.Thread(target=lambda: received.append(next(stream)))
    reader.start()
    wait_for(lambda: hub(app).connection_count() == 1, timeout=5, what="the subscription")
    revoke_award(award, "awarded by mistake", "admin")
    reader.join(timeout=10)
    assert received[0]["kind"] == "revoked"
    assert (received[0]["achievement_id"], received[0]["reason"]) == (award,
                                                                      "awarded by mistake")
    stream.close()


def test_a_stream_resumed_after_a_revocation_it_missed_replays_it(app, learner) -> None:  # type: ignore[no-untyped-def]
    """The page was disconnected when its award was revoked: "after the last award id"
    alone would never see it; the position's change id does."""
    award = give(learner.id, "a")
    revoke_award(award, "no longer valid", "admin")  # no page open: nobody woken
    body = event_stream(app, learner.id, (award, 0))
    [frame] = frames(body, 1)
    head = fields(frame)
    data = json.loads(head["data"])
    assert head["event"] == "revoked"
    assert head["id"] == f"{award}.{data['id']}"  # the position to resume from
    assert data["achievement_id"] == award and data["reason"] == "no longer valid"
    assert data["at"] and data["achievement"]["id"] == award
    body.close()


def test_revoke_then_restore_replays_both_in_order_and_nothing_before(app, learner) -> None:  # type: ignore[no-untyped-def]
    first, second = give(learner.id, "a"), give(learner.id, "b")
    [old] = revoke_awards([first], "old news", "admin")
    restore_awards([first], "admin")
    seen_up_to = int(fields(frames(event_stream(app, learner.id, (second, 0)), 2)[1])["id"]
                     .split(".")[1]) - 1  # the revoke of ``first`` was already sent
    revoke_award(second, "second thoughts", "admin")
    body = event_stream(app, learner.id, (second, seen_up_to))
    kinds = [(fields(f)["event"], json.loads(fields(f)["data"])["achievement_id"])
             for f in frames(body, 2)]
    assert kinds == [("restored", first), ("revoked", second)]
    body.close()
    assert old.id == first


def test_a_fresh_stream_starts_after_the_changes_already_made(app, learner) -> None:  # type: ignore[no-untyped-def]
    award = give(learner.id, "a")
    revoke_award(award, "before the page opened", "admin")
    stream = follow(app, learner.id, None, heartbeat=0.05)
    assert next(stream) is None  # only a heartbeat: nothing to replay
    stream.close()


def test_another_learners_revocation_is_not_in_my_feed(app, learner, make_user) -> None:  # type: ignore[no-untyped-def]
    other = make_user()
    theirs = give(other.id, "theirs")
    revoke_award(theirs, "not yours to see", "admin")
    stream = follow(app, learner.id, 0, heartbeat=0.05, after_change=0)
    assert next(stream) is None
    stream.close()


def test_the_all_learners_feed_carries_every_learners_changes(app, learner, make_user) -> None:  # type: ignore[no-untyped-def]
    other = make_user()
    mine, theirs = give(learner.id, "mine"), give(other.id, "theirs")
    revoke_awards([mine, theirs], "bulk", "admin")
    stream = follow(app, None, theirs, heartbeat=0.05, after_change=0)
    got = [next(stream), next(stream)]
    assert sorted(c["achievement_id"] for c in got) == sorted([mine, theirs])
    stream.close()


def test_a_failed_wake_up_never_fails_the_revocation_nor_loses_the_notice(
        app, learner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Redis unreachable after commit: the revocation stands, and the page that reconnects
    (or wakes for anything else) reads the change from the database."""
    import app.services.awarding.publishing as publishing

    def down(messages):  # type: ignore[no-untyped-def]
        raise ConnectionError("redis down")

    award = give(learner.id, "a")
    monkeypatch.setattr(publishing, "publish_many", down)
    revoke_award(award, "while redis was down", "admin")
    monkeypatch.undo()
    body = event_stream(app, learner.id, (award, 0))
    [frame] = frames(body, 1)
    assert json.loads(fields(frame)["data"])["reason"] == "while redis was down"
    body.close()
