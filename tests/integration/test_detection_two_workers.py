"""Two real worker processes race on one learner's burst of events (PostgreSQL + Redis):
no duplicate award, no missing award, holder counts exact, ids in commit order.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import Achievement, AchievementStat, ProgressEvent
from app.services.accounts import create_user
from app.services.catalog import import_catalog
from app.services.recording import ProgressInput, record_progress
from tests.services.awarding.oracle import DEFAULT_RULES, Event, expected_awards
from tests.support.services import wait_for

START = datetime(2024, 3, 25, 20, tzinfo=UTC)  # across Europe's DST change


def catalog_doc() -> dict:
    """Two courses, 12 modules, required quizzes at unit, module and course level."""
    def quiz(key: str, required: bool = True) -> dict:
        return {"key": key, "title": key, "max_score": 10, "required": required}

    def unit(course: str, u: int, modules: int) -> dict:
        key = f"{course}-u{u}"
        return {"key": key, "title": key, "assessments": [quiz(f"{key}-quiz")],
                "modules": [{"key": f"{key}-m{m}", "title": f"M{m}",
                             "assessments": [quiz(f"{key}-m{m}-check", m == 0)]}
                            for m in range(modules)]}

    return {"courses": [
        {"key": "alpha", "title": "Alpha", "assessments": [quiz("alpha-final")],
         "units": [unit("alpha", 0, 3), unit("alpha", 1, 3)]},
        {"key": "beta", "title": "Beta", "assessments": [],
         "units": [unit("beta", 0, 4), unit("beta", 1, 2)]},
    ]}


def burst(doc: dict) -> list[Event]:
    rng = random.Random(4)
    modules = [m["key"] for c in doc["courses"] for u in c["units"] for m in u["modules"]]
    quizzes = [a["key"] for c in doc["courses"]
               for o in [c, *c["units"], *(m for u in c["units"] for m in u["modules"])]
               for a in o["assessments"]]
    events = [Event("activity", START + timedelta(days=d, hours=rng.randint(0, 3)))
              for d in range(8)]
    events += [Event("module_completed", START + timedelta(hours=rng.randint(0, 200)), module=m)
               for m in modules]
    events += [Event("assessment_scored", START + timedelta(hours=rng.randint(0, 200)),
                     assessment=q, score=rng.choice([5, 6, 9, 10])) for q in quizzes]
    events += rng.sample(events, 10)  # duplicates under other idempotency keys
    rng.shuffle(events)
    return events


def record_all(user_id: int, events: list[Event]) -> None:
    for i, e in enumerate(events):
        record_progress(ProgressInput(user_id=user_id, kind=e.kind, occurred_at=e.when,
                                      idempotency_key=f"burst-{i}", module=e.module,
                                      assessment=e.assessment, score=e.score))


def unprocessed() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(ProgressEvent)
                             .where(ProgressEvent.processed_at.is_(None)))


def test_two_workers_one_learner_exactly_the_due_awards(services_app, start_worker) -> None:
    doc = catalog_doc()
    import_catalog(doc)
    user = create_user("burst@example.com", "password123", "learner", "Europe/Berlin")
    workers = [start_worker("wa", concurrency=2), start_worker("wb", concurrency=2)]
    events = burst(doc)
    record_all(user.id, events)

    wait_for(lambda: unprocessed() == 0, timeout=90, what="every event processed")
    rows = db.session.execute(select(Achievement.id, Achievement.dedupe_key)
                              .where(Achievement.user_id == user.id)
                              .order_by(Achievement.id)).all()
    keys = [key for _, key in rows]
    assert len(keys) == len(set(keys)), "duplicate award"
    expected = expected_awards(doc, events, "Europe/Berlin", DEFAULT_RULES)
    assert set(keys) == expected
    assert {"streak:7", "milestone:modules:10", "course_complete:beta"} <= expected
    holders = dict(db.session.execute(select(AchievementStat.dedupe_key,
                                             AchievementStat.holders)).all())
    assert holders == dict.fromkeys(expected, 1)
    assert all("achievements.evaluate_progress_event" in w.log() for w in workers)
