"""WatchAchievements tells of revocations and restores (a StandingChange), live and on
resume with after_change_id."""

from __future__ import annotations

from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.services.awarding.revocation import restore_award, revoke_award
from tests.grpc.conftest import complete
from tests.grpc.test_watch import all_ids, watch


def opened(stub, metadata, **fields):  # type: ignore[no-untyped-def]
    """A stream whose replay is read by the test (``watch`` would take its first message)."""
    return stub.WatchAchievements(pb.WatchAchievementsRequest(**fields), metadata=metadata,
                                  timeout=30)


def next_change(stream) -> pb.StandingChange:  # type: ignore[no-untyped-def]
    for message in stream:
        if message.WhichOneof("event") == "standing_change":
            return message.standing_change
    raise AssertionError("the stream ended")


def test_an_open_watch_gets_the_revocation_then_the_restore(app, stub, service, catalog,
                                                             learner) -> None:
    complete(stub, service, learner.id, "c1-u1-m1")
    [award_id, *_] = all_ids(stub, service, learner.id)
    stream = watch(stub, service, user_id=learner.id)
    with app.app_context():
        revoke_award(award_id, "awarded in error", "admin")
    revoked = next_change(stream)
    assert revoked.kind == pb.STANDING_CHANGE_KIND_REVOKED
    assert (revoked.achievement_id, revoked.user_id, revoked.reason) == (
        award_id, learner.id, "awarded in error")
    assert revoked.at.seconds > 0 and revoked.achievement.id == award_id
    with app.app_context():
        restore_award(award_id, "admin")
    restored = next_change(stream)
    assert restored.kind == pb.STANDING_CHANGE_KIND_RESTORED and restored.id > revoked.id
    stream.cancel()


def test_a_change_made_while_disconnected_is_replayed_after_change_id(app, stub, service,
                                                                       catalog, learner) -> None:
    complete(stub, service, learner.id, "c1-u1-m1")
    ids = all_ids(stub, service, learner.id)
    with app.app_context():
        revoke_award(ids[0], "first", "admin")
        restore_award(ids[0], "admin")
        revoke_award(ids[0], "second", "admin")
    stream = opened(stub, service, user_id=learner.id, after_id=max(ids), after_change_id=0)
    replayed = [next_change(stream) for _ in range(3)]
    assert [c.kind for c in replayed] == [pb.STANDING_CHANGE_KIND_REVOKED,
                                          pb.STANDING_CHANGE_KIND_RESTORED,
                                          pb.STANDING_CHANGE_KIND_REVOKED]
    stream.cancel()
    resumed = opened(stub, service, user_id=learner.id, after_id=max(ids),
                     after_change_id=replayed[1].id)
    assert next_change(resumed).reason == "second"
    resumed.cancel()
