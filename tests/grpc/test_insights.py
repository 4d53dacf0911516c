"""GetSummary and ListAchievementTypes: the REST summary and type list, over gRPC."""

from __future__ import annotations

import grpc

from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from tests.grpc.conftest import code_of, complete
from tests.support.catalog import build_catalog


def test_summary_counts_by_type_and_shows_the_next_levels(stub, service, catalog,
                                                          learner) -> None:
    build_catalog("big", units=1, modules=12)  # "10 modules" is a goal only if it can be reached
    complete(stub, service, learner.id, "c1-u1-m1")
    reply = stub.GetSummary(pb.GetSummaryRequest(user_id=learner.id), metadata=service)
    counts = {c.type_key: c.count for c in reply.counts}
    assert counts["module_complete"] == 1 and reply.total == sum(counts.values())
    assert reply.user_id == learner.id
    modules = next(m for m in reply.next_milestones if m.unit == "modules")
    assert (modules.type, modules.dedupe_key, modules.current, modules.target) == (
        pb.ACHIEVEMENT_TYPE_MILESTONE, "milestone:modules:10", 1, 10)
    shares = {r.dedupe_key: r.share for r in reply.rarity}
    assert shares["module_complete:c1-u1-m1"] == 1.0


def test_summary_of_an_unknown_learner_is_not_found(stub, service) -> None:
    request = pb.GetSummaryRequest(user_id=424242)
    assert code_of(lambda: stub.GetSummary(request, metadata=service)) == \
        grpc.StatusCode.NOT_FOUND


def test_summary_needs_a_user_id(stub, service) -> None:
    assert code_of(lambda: stub.GetSummary(pb.GetSummaryRequest(), metadata=service)) == \
        grpc.StatusCode.INVALID_ARGUMENT


def test_types_list_every_registered_type_with_thresholds(stub, service) -> None:
    reply = stub.ListAchievementTypes(pb.ListAchievementTypesRequest(), metadata=service)
    by_key = {t.type_key: t for t in reply.types}
    assert {"module_complete", "unit_complete", "course_complete", "high_score",
            "perfect_score", "streak", "milestone"} <= by_key.keys()
    assert all(t.type != pb.ACHIEVEMENT_TYPE_UNSPECIFIED for t in reply.types)
    streak = by_key["streak"]
    assert [t.value for t in streak.thresholds][:2] == [3, 7]
    assert streak.thresholds[0].key == "streak:3" and streak.thresholds[0].unit == "days"
    assert streak.title and streak.description and streak.badge


def test_types_follow_the_configured_thresholds(app, stub, service) -> None:
    app.config["ACHIEVEMENTS_CONFIG"].RULES = {"streak": {"thresholds": [2, 5]}}
    reply = stub.ListAchievementTypes(pb.ListAchievementTypesRequest(), metadata=service)
    streak = next(t for t in reply.types if t.type_key == "streak")
    assert [t.value for t in streak.thresholds] == [2, 5]
