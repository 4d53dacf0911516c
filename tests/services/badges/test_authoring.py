"""Author-defined badges through their lifecycle, detected like the built-ins: exactly once,
in any order, a draft or an edit awarding nothing until published (on both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.models import Achievement, BadgeVersion
from app.services.accounts import enroll
from app.services.accounts.principal import Principal
from app.services.awarding.revocation import revoke_award
from app.services.badges import (
    archive_badge,
    create_badge,
    get_badge,
    import_badges,
    list_badges,
    publish_badge,
    update_badge,
)
from tests.services.awarding.conftest import award, award_keys, record

pytestmark = pytest.mark.both_databases
ADMIN = Principal(kind="admin", id=0, name="admin@example.com")
WHEN = datetime(2024, 5, 1, 12, tzinfo=UTC)
BOTH = {"all": [{"module_complete": "c1-u1-m1"}, {"module_complete": "c1-u1-m2"}]}


def definition(key: str = "both", criteria: dict | None = None, **extra) -> dict:
    return {"key": key, "title": f"Badge {key}", "description": "Earned it.",
            "criteria": criteria or BOTH, **extra}


def make_published(key: str = "both", criteria: dict | None = None, **extra) -> None:
    create_badge(ADMIN, definition(key, criteria, **extra))
    publish_badge(ADMIN, key)


def test_a_draft_awards_nothing(catalog, learner) -> None:
    create_badge(ADMIN, definition())
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    record(learner, "module_completed", WHEN, module="c1-u1-m2")
    assert "badge:both" not in award_keys(learner)


def test_publishing_awards_learners_who_qualify_silently(catalog, learner, make_user) -> None:
    other = make_user()
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    record(learner, "module_completed", WHEN, module="c1-u1-m2")
    record(other, "module_completed", WHEN, module="c1-u1-m1")
    create_badge(ADMIN, definition())
    assert publish_badge(ADMIN, "both", dry_run=True)["would_earn"] == 1
    assert "badge:both" not in award_keys(learner)  # the dry run awarded nothing
    assert publish_badge(ADMIN, "both")["awarded"] == 1
    earned = award(learner, "badge:both")
    assert earned.achievement_type == "badge" and earned.silent
    assert earned.meta["badge"] == "both" and earned.meta["version"] == 1
    assert "badge:both" not in award_keys(other)


def test_publishing_with_notify_publishes_the_awards(catalog, learner, published) -> None:
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    record(learner, "module_completed", WHEN, module="c1-u1-m2")
    sent_before = len(published)
    create_badge(ADMIN, definition())
    publish_badge(ADMIN, "both", notify=True)
    assert not award(learner, "badge:both").silent
    assert [m["dedupe_key"] for m in published[sent_before:]] == ["badge:both"]


def test_a_published_badge_is_detected_live_exactly_once(catalog, learner) -> None:
    make_published()
    for _ in range(2):  # duplicates change nothing
        record(learner, "module_completed", WHEN, module="c1-u1-m2")
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    assert db.session.scalar(select(db.func.count()).select_from(Achievement).where(
        Achievement.dedupe_key == "badge:both")) == 1
    assert not award(learner, "badge:both").silent


def test_holds_chains_settle_in_one_evaluation(catalog, learner) -> None:
    make_published("first", {"module_complete": "c1-u1-m1"})
    make_published("second", {"holds": "badge:first"})
    make_published("third", {"all": [{"holds": "badge:second"},
                                      {"holds": "module_complete:c1-u1-m1"}]})
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    assert {"badge:first", "badge:second", "badge:third"} <= award_keys(learner)


def test_a_revoked_badge_is_neither_held_nor_earned_again(catalog, learner) -> None:
    make_published("first", {"module_complete": "c1-u1-m1"})
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    revoke_award(award(learner, "badge:first").id, "error", "admin@example.com")
    make_published("second", {"holds": "badge:first"})
    record(learner, "module_completed", WHEN, module="c1-u1-m2")
    assert "badge:second" not in award_keys(learner)
    assert award(learner, "badge:first").revoked_at is not None


def test_an_edit_is_a_new_version_awarded_only_once_published(catalog, learner,
                                                             make_user) -> None:
    make_published("first", {"module_complete": "c1-u1-m1"})
    update_badge(ADMIN, "first", definition("first", {"module_complete": "c1-u1-m2"}))
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    assert award(learner, "badge:first").meta["version"] == 1  # the published version
    later = make_user()
    publish_badge(ADMIN, "first")
    record(later, "module_completed", WHEN, module="c1-u1-m2")
    assert award(later, "badge:first").meta["version"] == 2
    assert award(learner, "badge:first").meta["version"] == 1  # earlier awards stay
    assert len(db.session.scalars(select(BadgeVersion)).all()) == 2


def test_an_archived_badge_awards_no_more(catalog, learner) -> None:
    make_published()
    archive_badge(ADMIN, "both")
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    record(learner, "module_completed", WHEN, module="c1-u1-m2")
    assert "badge:both" not in award_keys(learner)
    with pytest.raises(Conflict):
        publish_badge(ADMIN, "both")


def test_streaks_count_local_days(catalog, make_user) -> None:
    tokyo = make_user(timezone="Asia/Tokyo")
    make_published("streak3", {"streak_days": 3})
    for day in (2, 0, 1):  # out of order; 15:30 UTC is the next local day in Tokyo
        record(tokyo, "activity", WHEN + timedelta(days=day, hours=3, minutes=30))
    assert "badge:streak3" in award_keys(tokyo)


def test_expiry_and_hidden_ride_in_the_metadata(catalog, learner) -> None:
    make_published(hidden=True, expires_after_days=30)
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    record(learner, "module_completed", WHEN, module="c1-u1-m2")
    meta = award(learner, "badge:both").meta
    assert meta["expires_after_days"] == 30 and meta["hidden"] is True


def test_bad_definitions_store_nothing(catalog) -> None:
    with pytest.raises(InvalidInput) as caught:
        create_badge(ADMIN, definition(criteria={"all": [{"module_complete": "c1-u1-m1"},
                                                         {"holds": "badge:ghost"}]}))
    assert "criteria.all[1].holds" in caught.value.fields
    assert list_badges(ADMIN) == []
    create_badge(ADMIN, definition())
    with pytest.raises(Conflict):
        create_badge(ADMIN, definition())


def test_instructors_author_only_for_their_own_courses(catalog, make_user) -> None:
    build = make_user(role="instructor")
    enroll(build.id, "c1", "instructor")
    teacher = Principal.user(build.id, "instructor", build.email)
    mine = create_badge(teacher, definition("mine"))
    assert [b.key for b in list_badges(teacher)] == [mine.key]
    with pytest.raises(Forbidden):
        create_badge(teacher, definition("global", {"streak_days": 3}))
    create_badge(ADMIN, definition("global", {"streak_days": 3}))
    with pytest.raises(NotFound):
        get_badge(teacher, "global")
    learner = make_user()
    with pytest.raises(Forbidden):
        list_badges(Principal.user(learner.id, "learner"))


def test_catalog_import_publishes_its_badges_and_reruns_cleanly(catalog, learner) -> None:
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    record(learner, "module_completed", WHEN, module="c1-u1-m2")
    import_badges([definition()], publish=True)
    import_badges([definition()], publish=True)
    assert "badge:both" in award_keys(learner)
    assert len(get_badge(ADMIN, "both").versions) == 1
    import_badges([definition("drafted", {"module_complete": "c1-u1-m1"})], publish=False)
    assert get_badge(ADMIN, "drafted").status == "draft"
