"""Detection: one progress event in, the awards it made due stored exactly once.

Exactly-once reasoning, end to end:
* at least once — the event row (outbox) is committed before the task is
  enqueued; Celery redelivers a task whose worker died (acks_late +
  reject_on_worker_lost); the beat sweep re-enqueues anything still
  unprocessed;
* at most once — awards are inserted with ON CONFLICT (user_id, dedupe_key)
  DO NOTHING, so repeats insert nothing; the learner's row lock serializes
  detection per learner, so award ids grow in commit order per learner;
* live — new awards are published after commit and marked ``published_at``;
  an award whose publish failed is published again by the sweep, and every
  client resumes from the database by award id.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from app.achievements import registry
from app.achievements.awards import insert_awards
from app.achievements.loader import load_state
from app.achievements.publishing import publish_awards
from app.extensions import db
from app.models import Achievement, ProgressEvent, User
from app.models.types import utcnow

log = logging.getLogger(__name__)


def evaluate_event(event_id: int) -> list[Achievement]:
    """Evaluate one event; safe to call any number of times for the same id."""
    event = db.session.get(ProgressEvent, event_id)
    if event is None or event.processed_at is not None:
        db.session.rollback()
        return []
    user = lock_learner(event.user_id)
    db.session.refresh(event)
    if event.processed_at is not None:  # another worker finished it while we waited
        db.session.rollback()
        return []
    new = _detect(user, event.id)
    event.processed_at = utcnow()
    event.attempts += 1
    db.session.commit()
    publish_awards(new)
    return new


def lock_learner(user_id: int) -> User:
    """Serialize detection per learner with a row lock (a no-op on SQLite's single writer)."""
    user = db.session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None:
        raise LookupError(f"no user {user_id}")
    return user


def _detect(user: User, event_id: int | None, *, silent: bool = False,
            only: list[str] | None = None) -> list[Achievement]:
    state = load_state(user)
    overrides = current_app.config["ACHIEVEMENTS_CONFIG"].RULES
    due = registry.evaluate(state, overrides, only)
    return insert_awards(user.id, due, source_event_id=event_id, silent=silent)
