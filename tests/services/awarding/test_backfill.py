"""Backfill: silent, rerunnable, dry-run safe, the same awards as live detection, and the
same awards in several processes (PostgreSQL) as in one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, insert, select

from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.infra.caches.catalog import clear_cache
from app.models import Achievement, AchievementStat, User
from app.services.awarding import backfill as backfill_module
from app.services.awarding.backfill import BackfillReport, backfill
from tests.services.awarding.conftest import award_keys, record
from tests.support.catalog import build_catalog
from tests.support.databases import pg_app_context
from tests.support.services import module_database  # noqa: F401 (fixture pg_url)

DAY = datetime(2024, 5, 1, 9, tzinfo=UTC)
RULES_OFF = {key: {"enabled": False} for key in (
    "module_complete", "unit_complete", "course_complete", "high_score", "perfect_score",
    "streak", "milestone")}


@pytest.fixture
def history(app, catalog, make_user, use_rules):
    """Two learners with progress recorded while every rule was disabled (an imported history)."""
    use_rules(RULES_OFF)
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


def add_learners(count: int) -> list[int]:
    """Learners who never log in: no password to hash (argon2 would be most of the setup)."""
    zones = ("UTC", "Europe/Berlin", "Pacific/Auckland")
    db.session.execute(insert(User), [{"email": f"crowd{i}@example.com", "password_hash": "!",
                                       "timezone": zones[i % 3]} for i in range(count)])
    db.session.commit()
    return list(db.session.scalars(select(User.id).order_by(User.id)))


def holders() -> dict[str, int]:
    rows = db.session.execute(select(AchievementStat.dedupe_key, AchievementStat.holders))
    return {key: count for key, count in rows}


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
    stats = holders()
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
    from app.services.awarding.revocation import revoke_award

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


def test_cli_rejects_jobs_out_of_range(app, history) -> None:
    done = app.test_cli_runner().invoke(args=["achievements", "backfill", "--jobs", "0"])
    assert done.exit_code == 2 and "--jobs" in done.output


# --- jobs: several worker processes ------------------------------------------------------


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The worker count of every process pool backfill opens (none: it ran in this process)."""
    opened: list[int] = []
    real = backfill_module.ProcessPoolExecutor

    def spy(workers: int, **options: object) -> object:
        opened.append(workers)
        return real(workers, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(backfill_module, "ProcessPoolExecutor", spy)
    return opened


def test_jobs_fall_back_to_one_process_on_sqlite(history, pools) -> None:
    report = backfill(batch_size=1, jobs=2)
    assert pools == []
    assert report.awards == 10 and len(all_awards()) == 10


def test_cli_jobs_on_sqlite_runs_in_one_process(app, history, pools) -> None:
    done = app.test_cli_runner().invoke(args=["achievements", "backfill", "--jobs", "2",
                                              "--batch-size", "1"])
    assert done.exit_code == 0, done.output
    assert "awarded 10" in done.output and pools == []


@pytest.fixture
def pg_app(pg_url: str) -> Iterator[Flask]:
    """An app on PostgreSQL (tasks eager), where ``jobs`` spawns worker processes."""
    with pg_app_context(pg_url) as application:
        yield application
    clear_cache()


CROWD = 30  # six batches of five


@pytest.fixture
def crowd(pg_app: Flask) -> list[int]:
    """Learners with 1-5 active days and 0-2 modules each, recorded with every rule off."""
    settings = pg_app.config["ACHIEVEMENTS_CONFIG"]
    settings.RULES = RULES_OFF
    build_catalog("c1", units=1, modules=2)
    ids = add_learners(CROWD)
    for index, user_id in enumerate(ids):
        for day in range(index % 5 + 1):
            record(user_id, "activity", DAY + timedelta(days=day, hours=index % 7))
        for module in ("c1-u1-m1", "c1-u1-m2")[:index % 3]:
            record(user_id, "module_completed", DAY, module=module)
    settings.RULES = {}
    return ids




def forget_awards() -> None:
    db.session.execute(Achievement.__table__.delete())
    db.session.execute(AchievementStat.__table__.delete())
    db.session.commit()


def outcome(report: BackfillReport) -> tuple:
    return (report.learners, report.rows, report.awards, report.by_type, report.sample)


@pytest.mark.integration
def test_jobs_award_what_one_process_awards(crowd, pools) -> None:
    one_progress: list[int] = []
    one = backfill(batch_size=5, progress=one_progress.append)
    expected, expected_holders = all_awards(), holders()
    forget_awards()
    two_progress: list[int] = []
    two = backfill(batch_size=5, progress=two_progress.append, jobs=2)
    assert pools == [2] and one.awards > 0
    assert all_awards() == expected and holders() == expected_holders
    assert outcome(two) == outcome(one)
    assert two_progress == one_progress == [5] * 6


@pytest.mark.integration
def test_jobs_rerun_stores_nothing(crowd, pools) -> None:
    backfill(batch_size=5, jobs=2)
    before, counted = all_awards(), holders()
    again = backfill(batch_size=5, jobs=2)
    assert pools == [2, 2]
    assert again.awards == 0 and again.learners == CROWD
    assert all_awards() == before and holders() == counted


@pytest.mark.integration
def test_jobs_dry_run_stores_nothing(crowd, pools) -> None:
    report = backfill(batch_size=5, jobs=2, dry_run=True)
    assert pools == [2] and report.awards > 0 and len(report.sample) == report.awards
    assert all_awards() == set()
    assert db.session.scalar(select(func.count()).select_from(AchievementStat)) == 0


@pytest.mark.integration
def test_jobs_honour_the_rule_filter(crowd, pools) -> None:
    planned = backfill(rule="streak", batch_size=5, dry_run=True).sample
    backfill(rule="streak", batch_size=5, jobs=2)
    assert pools == [2] and planned
    assert all_awards() == {(award.user_id, award.dedupe_key) for award in planned}
    assert {award.type for award in planned} == {"streak"}


@pytest.mark.integration
def test_one_learner_takes_one_process(crowd, pools) -> None:
    report = backfill(user_id=crowd[-1], batch_size=5, jobs=2)
    assert pools == [] and report.learners == 1 and report.awards > 0


@pytest.mark.integration
def test_cli_jobs_on_postgresql(pg_app, crowd, pools) -> None:
    runner = pg_app.test_cli_runner()
    done = runner.invoke(args=["achievements", "backfill", "--jobs", "2", "--batch-size", "5"])
    assert done.exit_code == 0, done.output
    assert pools == [2] and f"awarded {len(all_awards())} (" in done.output
