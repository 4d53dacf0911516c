"""Backfill: silent, rerunnable, dry-run safe, and the same awards as live detection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.achievements.backfill import backfill
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import Achievement, AchievementStat
from tests.achievements.conftest import award_keys, record

DAY = datetime(2024, 5, 1, 9, tzinfo=UTC)


@pytest.fixture
def history(app, catalog, make_user, use_rules):
    """Two learners with progress recorded while every rule was disabled (an imported history)."""
    use_rules({key: {"enabled": False} for key in (
        "module_complete", "unit_complete", "course_complete", "high_score", "perfect_score",
        "streak", "milestone")})
    people = [make_user(timezone="Europe/Berlin"), make_user()]
    for user in people:
        for day in range(3):
            record(user, "activity", DAY + timedelta(days=day))
        record(user, "module_completed", DAY, module="c1-u1-m1")
    record(people[0], "module_completed", DAY, module="c1-u1-m2")
    use_rules({})
    assert db.session.scalar(select(func.count()).select_from(Achievement)) == 0
    return people


def all_awards() -> set[tuple[int, str]]:
    return set(db.session.execute(select(Achievement.user_id, Achievement.dedupe_key)).all())


def test_backfill_awards_what_live_detection_would(history, make_user) -> None:
    report = backfill()
    first, second = history
    assert award_keys(first) == {"module_complete:c1-u1-m1", "module_complete:c1-u1-m2",
                                 "unit_complete:c1-u1", "course_complete:c1", "streak:3",
                                 "milestone:modules:1", "milestone:courses:1"}
    assert award_keys(second) == {"module_complete:c1-u1-m1", "streak:3", "milestone:modules:1"}
    assert report.awards == 10 and report.rows == 9 and report.learners == 2


def test_backfill_is_silent(history, published) -> None:
    backfill()
    assert published == []
    assert set(db.session.scalars(select(Achievement.silent))) == {True}


def test_dry_run_changes_nothing(history) -> None:
    report = backfill(dry_run=True)
    assert report.awards == 10 and {a.dedupe_key for a in report.sample} >= {"streak:3"}
    assert all_awards() == set()
    assert db.session.scalar(select(func.count()).select_from(AchievementStat)) == 0


def test_rerun_changes_nothing(history) -> None:
    backfill()
    before = all_awards()
    again = backfill()
    assert again.awards == 0 and all_awards() == before


def test_one_learner_and_one_rule(history) -> None:
    second = history[1]
    backfill(user_id=second.id, rule="streak")
    assert all_awards() == {(second.id, "streak:3")}


def test_unknown_rule_or_learner_is_refused(history) -> None:
    with pytest.raises(InvalidInput):
        backfill(rule="nope")
    with pytest.raises(NotFound):
        backfill(user_id=999_999)


def test_backfill_counts_holders(history) -> None:
    backfill()
    rows = db.session.execute(select(AchievementStat.dedupe_key, AchievementStat.holders))
    stats = {key: holders for key, holders in rows}
    assert stats["streak:3"] == 2 and stats["course_complete:c1"] == 1


def test_progress_is_reported_per_batch(history) -> None:
    seen: list[int] = []
    backfill(progress=seen.append, batch_size=1)
    assert seen == [1, 1]


def test_live_detection_and_backfill_agree(app, catalog, make_user) -> None:
    live = make_user(timezone="Asia/Kolkata")
    for day in range(4):
        record(live, "activity", DAY + timedelta(days=day, hours=10))
    record(live, "module_completed", DAY, module="c1-u1-m2")
    expected = award_keys(live)
    db.session.execute(Achievement.__table__.delete())
    db.session.commit()
    backfill(user_id=live.id)
    assert award_keys(live) == expected


def test_revoked_award_is_not_backfilled_again(history) -> None:
    from app.achievements.revocation import revoke_award

    backfill()
    first = history[0]
    award = db.session.scalar(select(Achievement).where(Achievement.user_id == first.id,
                                                        Achievement.dedupe_key == "streak:3"))
    revoke_award(award.id, "cheating", "admin")
    assert backfill().awards == 0
    assert award_keys(first, include_revoked=False) == award_keys(first) - {"streak:3"}


def test_cli_prints_what_it_would_do_and_did(app, history) -> None:
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["achievements", "backfill", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would award: user" in dry.output and "would award 10" in dry.output
    assert all_awards() == set()
    done = runner.invoke(args=["achievements", "backfill"])
    assert "awarded 10" in done.output and len(all_awards()) == 10
    again = runner.invoke(args=["achievements", "backfill"])
    assert "awarded 0 (nothing)" in again.output


def test_cli_revoke_and_restore(app, history) -> None:
    backfill()
    award_id = db.session.scalar(select(Achievement.id).limit(1))
    runner = app.test_cli_runner()
    revoked = runner.invoke(args=["achievements", "revoke", str(award_id), "--reason", "test"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    restored = runner.invoke(args=["achievements", "restore", str(award_id)])
    assert restored.exit_code == 0 and "restored" in restored.output
