"""A badge given by hand reaches gRPC callers like any other award: a watch stream
receives it live, and ListAchievements lists it (no RPC of its own is needed)."""

from __future__ import annotations

from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.services.accounts.principal import Principal
from app.services.badges import create_badge, publish_badge
from app.services.badges.by_hand import Note, awardable, give
from tests.grpc.test_watch import awards, watch

ADMIN = Principal(kind="admin", id=0, name="setup")


def test_a_badge_given_by_hand_is_watched_and_listed(stub, service, catalog, learner) -> None:
    create_badge(ADMIN, {"key": "mentor", "title": "Mentor", "description": "Helped others.",
                         "criteria": {"module_complete": "c1-u1-m1"}})
    publish_badge(ADMIN, "mentor")
    stream = watch(stub, service, user_id=learner.id)
    give(ADMIN, awardable(ADMIN, "mentor"), [learner.id], Note("Ran the forum", None, True))
    received = awards(stream, 1)[0]
    assert (received.dedupe_key, received.type, received.title) == (
        "badge:mentor", pb.ACHIEVEMENT_TYPE_BADGE, "Mentor")
    stream.cancel()
    listed = stub.ListAchievements(pb.ListAchievementsRequest(user_id=learner.id),
                                   metadata=service)
    assert [a.id for a in listed.achievements] == [received.id]
