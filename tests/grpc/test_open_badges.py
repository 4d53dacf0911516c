"""The gRPC Achievement carries ``public`` and ``open_badges``; the kept list messages follow
a share and an unshare at once (they are kept per (id, public))."""

from __future__ import annotations

from app.extensions import db
from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.models import Achievement
from app.services.accounts import Principal
from app.services.credentials import set_sharing
from tests.grpc.conftest import complete

ADMIN = Principal.service(99, "ops", frozenset({"achievements:admin"}))


def listed(stub, service, user_id: int) -> dict[str, pb.Achievement]:
    reply = stub.ListAchievements(pb.ListAchievementsRequest(user_id=user_id, page_size=100),
                                  metadata=service)
    return {award.dedupe_key: award for award in reply.achievements}


def test_sharing_shows_in_list_and_get(stub, service, catalog, learner) -> None:
    complete(stub, service, learner.id, "c1-u1-m1")
    before = listed(stub, service, learner.id)["module_complete:c1-u1-m1"]
    assert before.public is False
    assert before.open_badges.assertion == "" and before.open_badges.credential == ""
    set_sharing(before.id, ADMIN, True)
    public_id = db.session.get(Achievement, before.id).public_id
    after = listed(stub, service, learner.id)["module_complete:c1-u1-m1"]
    assert after.public is True
    assert after.open_badges.assertion == f"http://127.0.0.1:5000/ob/v2/assertions/{public_id}"
    assert after.open_badges.credential == f"http://127.0.0.1:5000/ob/v3/credentials/{public_id}"
    got = stub.GetAchievement(pb.GetAchievementRequest(user_id=learner.id, id=before.id),
                              metadata=service).achievement
    assert got == after
    set_sharing(before.id, ADMIN, False)
    assert listed(stub, service, learner.id)["module_complete:c1-u1-m1"] == before
