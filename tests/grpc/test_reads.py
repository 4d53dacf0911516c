"""ListAchievements and GetAchievement: the REST history, over gRPC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from tests.grpc.conftest import code_of, complete, field_errors, rpc_error


@pytest.fixture
def earned(stub, service, catalog, learner) -> list[pb.Achievement]:
    """The learner completed the whole course: module, unit, course and milestone awards."""
    for module in ("c1-u1-m1", "c1-u1-m2"):
        complete(stub, service, learner.id, module)
    request = pb.ListAchievementsRequest(user_id=learner.id, page_size=100)
    return list(stub.ListAchievements(request, metadata=service).achievements)


def list_all(stub, metadata, **fields) -> list[pb.Achievement]:
    awards, token = [], ""
    while True:
        reply = stub.ListAchievements(pb.ListAchievementsRequest(page_token=token, **fields),
                                      metadata=metadata)
        awards += reply.achievements
        token = reply.next_page_token
        if not token:
            return awards


def test_lists_newest_first_with_every_field(earned, learner) -> None:
    assert [a.id for a in earned] == sorted((a.id for a in earned), reverse=True)
    module_award = next(a for a in earned if a.dedupe_key == "module_complete:c1-u1-m1")
    assert module_award.type == pb.ACHIEVEMENT_TYPE_MODULE_COMPLETE
    assert module_award.type_key == "module_complete" and module_award.user_id == learner.id
    assert module_award.metadata["module"] == "c1-u1-m1" and module_award.title
    assert module_award.earned_at.seconds > 0 and module_award.badge_url


def test_pages_with_page_token_repeat_and_skip_nothing(stub, service, earned, learner) -> None:
    paged = list_all(stub, service, user_id=learner.id, page_size=2)
    assert [a.id for a in paged] == [a.id for a in earned]


def test_filters_by_type(stub, service, earned, learner) -> None:
    wanted = [pb.ACHIEVEMENT_TYPE_UNIT_COMPLETE, pb.ACHIEVEMENT_TYPE_COURSE_COMPLETE]
    reply = stub.ListAchievements(pb.ListAchievementsRequest(user_id=learner.id, types=wanted),
                                  metadata=service)
    assert sorted(a.dedupe_key for a in reply.achievements) == [
        "course_complete:c1", "unit_complete:c1-u1"]


def test_filters_by_time_range(stub, service, earned, learner) -> None:
    later, earlier = Timestamp(), Timestamp()
    later.FromDatetime(datetime.now(UTC) + timedelta(minutes=1))
    earlier.FromDatetime(datetime.now(UTC) - timedelta(hours=1))
    none = pb.ListAchievementsRequest(user_id=learner.id, earned_after=later)
    window = pb.ListAchievementsRequest(user_id=learner.id, earned_after=earlier,
                                        earned_before=later, page_size=100)
    assert list(stub.ListAchievements(none, metadata=service).achievements) == []
    assert len(stub.ListAchievements(window, metadata=service).achievements) == len(earned)


def test_page_size_above_maximum_is_reduced(stub, service, earned, learner) -> None:
    reply = stub.ListAchievements(pb.ListAchievementsRequest(user_id=learner.id,
                                                             page_size=10_000), metadata=service)
    assert len(reply.achievements) == len(earned)


@pytest.mark.parametrize(("fields", "field"), [
    ({"page_token": "not-a-token"}, "page_token"),
    ({"page_size": -1}, "page_size"),
    ({"types": [pb.ACHIEVEMENT_TYPE_UNSPECIFIED]}, "types"),
    ({"user_id": 0}, "user_id"),
])
def test_bad_list_requests_are_invalid_argument(stub, service, learner, fields, field) -> None:
    request = pb.ListAchievementsRequest(**{"user_id": learner.id, **fields})
    error = rpc_error(lambda: stub.ListAchievements(request, metadata=service))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in field_errors(error)


def test_get_achievement_returns_the_award(stub, service, earned, learner) -> None:
    reply = stub.GetAchievement(pb.GetAchievementRequest(user_id=learner.id, id=earned[0].id),
                                metadata=service)
    assert reply.achievement == earned[0]


def test_another_learners_award_is_not_found(stub, service, earned, make_user) -> None:
    other = make_user()
    request = pb.GetAchievementRequest(user_id=other.id, id=earned[0].id)
    assert code_of(lambda: stub.GetAchievement(request, metadata=service)) == \
        grpc.StatusCode.NOT_FOUND


def test_unknown_award_is_not_found(stub, service, learner) -> None:
    request = pb.GetAchievementRequest(user_id=learner.id, id=123456)
    assert code_of(lambda: stub.GetAchievement(request, metadata=service)) == \
        grpc.StatusCode.NOT_FOUND
