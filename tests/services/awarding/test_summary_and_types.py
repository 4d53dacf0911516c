"""Summary figures (counts, next milestones, rarity) and the achievement type list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.types import achievement_types
from app.read.summary import current_run, learner_summary
from app.services.awarding.revocation import revoke_award
from tests.services.awarding.conftest import award, record

pytestmark = pytest.mark.both_databases  # detection's SQL differs per dialect

NOW = datetime(2024, 5, 10, 12, tzinfo=UTC)


def upcoming(summary: dict, key_prefix: str) -> dict:
    return next(m for m in summary["next_milestones"] if m["key"].startswith(key_prefix))


def test_counts_by_type_and_total(catalog, learner) -> None:
    record(learner, "module_completed", NOW, module="c1-u1-m1")
    summary = learner_summary(learner.id, now=NOW)
    assert summary["counts"] == {"module_complete": 1, "milestone": 1}
    assert summary["total"] == 2


def test_revoked_awards_are_not_counted(catalog, learner) -> None:
    record(learner, "module_completed", NOW, module="c1-u1-m1")
    revoke_award(award(learner, "module_complete:c1-u1-m1").id, "mistake", "admin")
    assert learner_summary(learner.id, now=NOW)["counts"] == {"milestone": 1}


def test_next_module_milestone_shows_progress(app, learner) -> None:
    from tests.support.catalog import build_catalog

    build_catalog("big", units=1, modules=12)
    for m in range(1, 8):
        record(learner, "module_completed", NOW, module=f"big-u1-m{m}")
    milestone = upcoming(learner_summary(learner.id, now=NOW), "milestone:modules:")
    assert milestone == {"key": "milestone:modules:10", "type": "milestone",
                         "title": "10 modules completed", "current": 7, "target": 10,
                         "unit": "modules", "text": "7 of 10 modules"}


def test_next_streak_level_uses_the_current_run(app, learner) -> None:
    for day in range(4):
        record(learner, "activity", NOW - timedelta(days=day))
    streak = upcoming(learner_summary(learner.id, now=NOW), "streak:")
    assert (streak["key"], streak["current"], streak["target"], streak["text"]) == (
        "streak:7", 4, 7, "streak 4 of 7 days")


def test_course_milestone_progress(catalog, learner) -> None:
    course = upcoming(learner_summary(learner.id, now=NOW), "milestone:courses:")
    assert course["text"] == "0 of 1 course"


def test_current_run_allows_today_to_be_unfinished() -> None:
    today = NOW.date()
    days = {today - timedelta(days=d) for d in (1, 2, 3)}
    assert current_run(days, today) == 3
    assert current_run(days | {today}, today) == 4
    assert current_run({today - timedelta(days=2)}, today) == 0


def test_rarity_is_the_share_of_learners_holding_it(catalog, make_user) -> None:
    holder, *others = [make_user() for _ in range(4)]
    record(holder, "module_completed", NOW, module="c1-u1-m1")
    record(others[0], "module_completed", NOW, module="c1-u1-m2")
    rarity = learner_summary(holder.id, now=NOW)["rarity"]
    assert rarity["module_complete:c1-u1-m1"] == 0.25
    assert rarity["milestone:modules:1"] == 0.5


def test_types_list_every_rule_with_thresholds() -> None:
    types = {t["key"]: t for t in achievement_types()}
    assert set(types) == {"module_complete", "unit_complete", "course_complete", "high_score",
                          "perfect_score", "streak", "milestone", "badge"}
    assert [t["value"] for t in types["streak"]["thresholds"]] == [3, 7, 14, 30, 60, 100, 365]
    assert types["high_score"]["thresholds"] == [
        {"key": "high_score", "value": 0.9, "unit": "ratio"}]
    assert {"key": "milestone:courses:25", "value": 25, "unit": "courses"} in types[
        "milestone"]["thresholds"]
    assert types["module_complete"]["thresholds"] == []


def test_types_follow_overrides() -> None:
    types = {t["key"]: t for t in achievement_types({"streak": {"thresholds": [5, 2]},
                                                     "perfect_score": {"enabled": False}})}
    assert [t["key"] for t in types["streak"]["thresholds"]] == ["streak:2", "streak:5"]
    assert "perfect_score" not in types


def test_a_level_the_catalog_cannot_reach_is_no_goal(catalog, learner) -> None:
    """Issue 27.6: "10 modules completed" in a 2-module catalog is not a next goal."""
    record(learner, "module_completed", NOW, module="c1-u1-m1")
    keys = [m["key"] for m in learner_summary(learner.id, now=NOW)["next_milestones"]]
    assert not any(key.startswith("milestone:modules:") for key in keys)
    assert "milestone:courses:1" in keys  # one course: reachable
    assert any(key.startswith("streak:") for key in keys)  # days are never short


def test_a_badge_asking_more_modules_than_its_course_has_is_no_goal(app, learner) -> None:
    from app.read.summary import badge_milestones
    from app.read.summary_facts import summary_facts
    from app.services.catalog import import_catalog
    from tests.support.catalog import catalog_doc

    document = catalog_doc("c1", 1, 3, None)
    document["badges"] = [
        {"key": "two", "title": "Two", "description": "d", "criteria": {"modules_completed": 2}},
        {"key": "nine", "title": "Nine", "description": "d",
         "criteria": {"modules_completed": 9, "course": "c1"}}]
    import_catalog(document)
    state = summary_facts(learner.id, []).state
    assert [m["key"] for m in badge_milestones(state, set())] == ["badge:two"]
