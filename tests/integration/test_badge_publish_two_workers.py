"""Publishing badges while progress streams in (PostgreSQL, Redis, two real worker
processes): once the outbox has settled, every learner who qualifies holds each badge
exactly once, no one else does, and every learner's awards are exactly what the
reference evaluation says (tests/services/badges/oracle.py).

A writer thread records the events of the first half of the learners, then the second
half's, shuffled, with duplicates; the test process publishes one badge when the first
half is recorded (its backfill runs here, racing the workers) and a second, which holds
the first, midway through the second half. The first half's qualifiers are owed the badge
by the backfill (silent), the second half's by live detection (not silent).
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import Achievement, AchievementStat, ProgressEvent
from app.services.accounts import create_user
from app.services.accounts.principal import Principal
from app.services.badges import create_badge, publish_badge
from app.services.catalog import import_catalog
from app.services.recording import ProgressInput, record_progress
from tests.services.awarding.conftest import award_keys
from tests.services.awarding.histories import ZONES
from tests.services.awarding.oracle import DEFAULT_RULES, Event
from tests.services.badges.oracle import expected_with_badges
from tests.support.catalog import catalog_doc, module_keys
from tests.support.services import wait_for

ADMIN = Principal(kind="admin", id=0, name="test")
START = datetime(2024, 3, 29, 18, tzinfo=UTC)  # across Europe's DST change
LEARNERS = 40
FINAL = {"key": "alpha-final", "title": "Final", "max_score": 10, "required": False}
STEADY = {"key": "steady", "title": "Steady", "criteria": {"all": [
    {"modules_completed": 3, "course": "alpha"},
    {"any": [{"streak_days": 3}, {"score_at_least": {"assessment": "alpha-final",
                                                     "ratio": 0.8}}]}]}}
CHAIN = {"key": "steady-plus", "title": "Steady plus", "criteria": {"at_least": 2, "of": [
    {"holds": "badge:steady"}, {"holds": "unit_complete:alpha-u2"}, {"holds": "streak:3"}]}}


def history(rng: random.Random, modules: list[str]) -> list[Event]:
    """Some modules, a run of active days (or scattered ones), maybe the final quiz."""
    days = rng.sample(range(6), rng.randint(1, 4)) if rng.random() < 0.4 \
        else list(range(rng.randint(1, 4)))
    events = [Event("activity", START + timedelta(days=d, hours=rng.randint(0, 5)))
              for d in days]
    events += [Event("module_completed", START + timedelta(hours=rng.randint(0, 120)), module=m)
               for m in rng.sample(modules, rng.randint(0, len(modules)))]
    if rng.random() < 0.5:
        events.append(Event("assessment_scored", START + timedelta(hours=rng.randint(0, 120)),
                            assessment="alpha-final", score=rng.choice([5, 8, 10])))
    return events


def stream(plan: list[tuple[int, str, Event]]) -> list[tuple[int, str, Event]]:
    """The plan again with a tenth of it repeated (the same idempotency key) and shuffled."""
    rng = random.Random(len(plan))
    repeated = plan + rng.sample(plan, len(plan) // 10)
    rng.shuffle(repeated)
    return repeated


class Writer(threading.Thread):
    """Records the planned events in its own app context, counting as it goes."""

    def __init__(self, app: Flask, events: list[tuple[int, str, Event]]) -> None:
        super().__init__(name="badge-stream", daemon=True)
        self.app, self.events, self.done, self.error = app, events, 0, None

    def run(self) -> None:
        try:
            with self.app.app_context():
                for user_id, key, e in self.events:
                    record_progress(ProgressInput(
                        user_id=user_id, kind=e.kind, occurred_at=e.when, idempotency_key=key,
                        module=e.module, assessment=e.assessment, score=e.score))
                    self.done += 1
                db.session.remove()
        except Exception as exc:  # reported by the test
            self.error = exc


def unprocessed() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(ProgressEvent)
                             .where(ProgressEvent.processed_at.is_(None)))


def badge_rows() -> list[tuple[int, str, bool]]:
    db.session.rollback()
    return [tuple(row) for row in db.session.execute(
        select(Achievement.user_id, Achievement.dedupe_key, Achievement.silent)
        .where(Achievement.achievement_type == "badge"))]


def test_publishing_mid_stream_awards_each_qualifier_once(services_app, start_worker) -> None:
    doc = catalog_doc("alpha", units=2, modules=3, assessments=[FINAL])
    import_catalog(doc)
    create_badge(ADMIN, STEADY)
    create_badge(ADMIN, CHAIN)
    rng = random.Random(17)
    users = [create_user(f"stream{i}@example.com", "password123", "learner",
                         ZONES[i % len(ZONES)]) for i in range(LEARNERS)]
    histories = {u.id: history(rng, module_keys(doc)) for u in users}
    plans = [[(u.id, f"s{u.id}-{i}", e) for u in group for i, e in enumerate(histories[u.id])]
             for group in (users[:LEARNERS // 2], users[LEARNERS // 2:])]
    halves = [stream(plan) for plan in plans]
    workers = [start_worker("wa", concurrency=2), start_worker("wb", concurrency=2)]
    writer = Writer(services_app, halves[0] + halves[1])
    writer.start()
    wait_for(lambda: writer.done >= len(halves[0]) or writer.error, timeout=60,
             what="the first half recorded")
    publish_badge(ADMIN, "steady")
    wait_for(lambda: writer.done >= len(halves[0]) + len(halves[1]) // 2 or writer.error,
             timeout=60, what="half of the second half recorded")
    publish_badge(ADMIN, "steady-plus")
    writer.join(timeout=120)
    assert writer.error is None and not writer.is_alive()
    wait_for(lambda: unprocessed() == 0, timeout=90, what="every event processed")

    expected = {u.id: expected_with_badges(doc, histories[u.id], u.timezone, DEFAULT_RULES,
                                           [STEADY, CHAIN]) for u in users}
    rows = badge_rows()
    assert len(rows) == len({(user, key) for user, key, _ in rows}), "a badge awarded twice"
    for key in ("badge:steady", "badge:steady-plus"):
        owed = {user for user, keys in expected.items() if key in keys}
        assert {user for user, k, _ in rows if k == key} == owed, key
        assert 0 < len(owed) < LEARNERS, f"{key}: the stream should have both kinds of learner"
        assert _holders(key) == len(owed)
    for user in users:
        assert award_keys(user.id) == expected[user.id], user.id
    first_half = {u.id for u in users[:LEARNERS // 2]}
    steady = [(user in first_half, silent) for user, k, silent in rows if k == "badge:steady"]
    assert (True, True) in steady, "no first-half learner was awarded by the backfill"
    assert (False, False) in steady, "no second-half learner was awarded live"
    assert all("achievements.evaluate_progress_event" in w.log() for w in workers)


def _holders(key: str) -> int:
    return db.session.scalar(select(AchievementStat.holders)
                             .where(AchievementStat.dedupe_key == key)) or 0
