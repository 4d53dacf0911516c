"""On PostgreSQL: the hand-written reads agree with the ORM reads, and cached summaries
are never older than what ListAchievements shows.

The ``app`` fixture is overridden here with an app on a fresh PostgreSQL
database (tasks eager, so awards exist when recording returns); every gRPC
fixture of ``conftest`` then serves that database.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.extensions import db
from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.infra.caches.catalog import clear_cache
from app.infra.caches.learner_count import learner_count
from app.infra.pool import ReadPool, read_pool
from app.read import summary_facts as facts_module
from app.read.history import HistoryFilter, history_ids, list_achievements
from app.read.summary import CachedSummaries, learner_summary, level_keys
from app.read.summary_facts import learner_version
from app.services.awarding.revocation import restore_award, revoke_award
from tests.services.awarding.conftest import award, record
from tests.support.catalog import build_catalog
from tests.support.databases import pg_app_context
from tests.support.outages import terminate_connections
from tests.support.services import module_database  # noqa: F401 (fixture pg_url)

pytestmark = pytest.mark.integration
WHEN = datetime(2024, 5, 1, 23, 30, tzinfo=UTC)
FINAL = {"key": "c1-final", "title": "Final", "max_score": 100, "required": True}


@pytest.fixture
def app(pg_url: str) -> Iterator[Flask]:
    learner_count.clear()
    with pg_app_context(pg_url) as application:
        yield application
    clear_cache()


@pytest.fixture
def busy_learner(make_user):
    """A learner in New York with modules, a score, events on three local days, and
    one revoked award; a second learner holds one of the same awards."""
    build_catalog("c1", units=2, modules=2, assessments=[FINAL])
    learner, other = make_user(timezone="America/New_York"), make_user()
    for day, module in enumerate(("c1-u1-m1", "c1-u1-m2", "c1-u2-m1")):
        record(learner, "module_completed", WHEN + timedelta(days=day), module=module)
    record(learner, "assessment_scored", WHEN, assessment="c1-final", score=95)
    record(learner, "assessment_scored", WHEN, assessment="c1-final", score=70)
    record(other, "module_completed", WHEN, module="c1-u1-m1")
    revoke_award(award(learner, "unit_complete:c1-u1").id, "test", "admin@example.com")
    return learner


def test_history_ids_walk_the_same_pages_as_the_orm_query(busy_learner) -> None:
    filters = [HistoryFilter(), HistoryFilter(types=["module_complete", "milestone"]),
               HistoryFilter(since=WHEN + timedelta(hours=1)), HistoryFilter(until=WHEN)]
    for history in filters:
        for limit in (1, 2, 100):
            assert _pages(history_ids, busy_learner.id, history, limit) == \
                _pages(_orm_ids, busy_learner.id, history, limit)


def _orm_ids(user_id, history, cursor, limit):
    page = list_achievements(user_id, history, cursor, limit)
    return type(page)([row.id for row in page.items], page.next_cursor)


def _pages(read, user_id, history, limit) -> list[tuple[list[int], str | None]]:
    pages, cursor = [], None
    while True:
        page = read(user_id, history, cursor, limit)
        pages.append((page.items, page.next_cursor))
        if not page.next_cursor:
            return pages
        cursor = page.next_cursor


def test_summary_facts_in_one_statement_match_the_orm_reads(busy_learner) -> None:
    keys = level_keys({})
    fast = facts_module._facts_postgresql(busy_learner.id, keys)
    slow = facts_module._facts_orm(busy_learner.id, keys)
    assert fast.learner == slow.learner and fast.learners == slow.learners == 2
    assert sorted(fast.awards) == sorted(slow.awards)
    assert ("unit_complete:c1-u1", "unit_complete", True) in fast.awards
    assert fast.holders == slow.holders and fast.holders["module_complete:c1-u1-m1"] == 2
    for name in ("completed_modules", "best_scores", "active_days", "events", "courses"):
        assert getattr(fast.state, name) == getattr(slow.state, name), name
    assert fast.state.best_scores == {"c1-final": 95.0}
    assert len(fast.state.active_days) == 3  # local New York days, not UTC ones


def test_the_version_read_alone_equals_the_one_derived_from_the_facts(busy_learner) -> None:
    facts = facts_module._facts_postgresql(busy_learner.id, level_keys({}))
    assert facts.version == learner_version(busy_learner.id)


def test_the_learner_count_is_kept_for_its_ttl(make_user) -> None:
    make_user()
    assert learner_count.get() == 1
    make_user()
    assert learner_count.get() == 1  # within the TTL
    learner_count.clear()
    assert learner_count.get() == 2


class Counting:
    """A summary shape that counts how often a summary was computed."""

    def __init__(self) -> None:
        self.computed = 0

    def __call__(self, user_id: int, summary: dict) -> dict:
        self.computed += 1
        return summary


def test_an_unchanged_learner_is_answered_from_the_cache(busy_learner) -> None:
    shape = Counting()
    cache = CachedSummaries(shape)
    first = cache.get(busy_learner.id)
    assert cache.get(busy_learner.id) is first and shape.computed == 1
    assert first == learner_summary(busy_learner.id)


def test_a_committed_award_is_never_answered_from_the_cache(busy_learner) -> None:
    cache = CachedSummaries(Counting())
    before = cache.get(busy_learner.id)
    record(busy_learner, "module_completed", WHEN, module="c1-u2-m2")
    after = cache.get(busy_learner.id)
    assert after["counts"]["module_complete"] == before["counts"]["module_complete"] + 1
    assert after == learner_summary(busy_learner.id)


def test_progress_without_an_award_still_refreshes_the_summary(busy_learner) -> None:
    cache = CachedSummaries(Counting())
    streak = _streak(cache.get(busy_learner.id, now=WHEN + timedelta(days=3)))
    record(busy_learner, "activity", WHEN + timedelta(days=3))
    assert _streak(cache.get(busy_learner.id, now=WHEN + timedelta(days=3))) == streak + 1


def _streak(summary: dict) -> int:
    return next(m["current"] for m in summary["next_milestones"] if m["type"] == "streak")


def test_revoke_and_restore_are_seen_at_once(busy_learner) -> None:
    cache = CachedSummaries(Counting())
    earned = award(busy_learner, "module_complete:c1-u1-m1")
    total = cache.get(busy_learner.id)["total"]
    revoke_award(earned.id, "test", "admin@example.com")
    assert cache.get(busy_learner.id)["total"] == total - 1
    restore_award(earned.id, "admin@example.com")
    assert cache.get(busy_learner.id)["total"] == total


def test_rules_changed_in_place_are_not_answered_from_the_cache(app, busy_learner) -> None:
    cache = CachedSummaries(Counting())
    rules = app.config["ACHIEVEMENTS_CONFIG"].RULES
    before = cache.get(busy_learner.id, now=WHEN)
    rules["streak"] = {"thresholds": [2, 5]}  # the same dict object, changed
    after = cache.get(busy_learner.id, now=WHEN)
    assert after is not before
    assert after == learner_summary(busy_learner.id, now=WHEN)
    assert "streak:2" in {m["key"] for m in after["next_milestones"]}


def test_over_grpc_summary_and_list_agree_right_after_an_award(stub, service, busy_learner,
                                                               ) -> None:
    def listed() -> set[str]:
        reply = stub.ListAchievements(
            pb.ListAchievementsRequest(user_id=busy_learner.id, page_size=100),
            metadata=service, timeout=10)
        return {a.dedupe_key for a in reply.achievements}

    def summarized() -> int:
        return stub.GetSummary(pb.GetSummaryRequest(user_id=busy_learner.id),
                               metadata=service, timeout=10).total

    assert summarized() == len(listed())
    record(busy_learner, "module_completed", WHEN, module="c1-u2-m2")
    assert "module_complete:c1-u2-m2" in listed()
    assert summarized() == len(listed())
    revoke_award(award(busy_learner, "module_complete:c1-u2-m2").id, "test", "admin@x.org")
    assert "module_complete:c1-u2-m2" not in listed()
    assert summarized() == len(listed())


def test_a_read_on_a_lost_connection_is_run_again_on_a_new_one(pg_url, learner) -> None:
    user_id, pool = learner.id, read_pool(db.engine)
    with pool.connection("SELECT 1", ()) as connection:
        connection.execute("SELECT 1")
    assert terminate_connections(pg_url) >= 1
    db.session().invalidate()  # the fixtures' ORM connection was terminated too
    assert history_ids(user_id, HistoryFilter()).items == []  # no error: reads are idempotent


def test_reads_wait_for_a_free_connection_instead_of_opening_more(app) -> None:
    pool = ReadPool(db.engine, size=1, timeout=0.2)
    with pool.connection("SELECT 1", ()) as held, pytest.raises(PoolTimeout), \
            pool.connection("SELECT 1", ()):
        pass
    with pool.connection("SELECT 1", ()) as again:
        assert again is held
    pool.close()
