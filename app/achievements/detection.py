"""Detection: one progress event in, the awards it made due stored exactly once.

Exactly-once reasoning, end to end:

* at least once — the event row (outbox) is committed with its facts before
  the task is enqueued; Celery redelivers a task whose worker died
  (``acks_late`` + ``reject_on_worker_lost``); the beat sweep
  (``app.progress.outbox``) re-enqueues anything still unprocessed after
  ``OUTBOX_SWEEP_AGE_SECONDS``. ``processed_at`` is set in the same
  transaction as the awards, so an event is marked done only if its awards
  are stored too;
* at most once — awards are inserted with ON CONFLICT (user_id, dedupe_key)
  DO NOTHING, so repeats insert nothing, and holder counts move only for rows
  really inserted;
* nothing missed — each evaluation reads the learner's *whole* state after
  taking the learner's row lock (``SELECT ... FOR NO KEY UPDATE``: it
  serializes detection per learner yet does not block new progress rows,
  whose foreign-key checks take only KEY SHARE). Every event is evaluated
  after its own commit — by its own task, or settled by an evaluation that
  listed it as pending before reading the state, so its facts were read — so
  the last evaluation for a learner sees every fact, and rules are monotone,
  so it owes every award (see ``state``). Order, lateness and duplicates of
  events therefore cannot change the result;
* live — new awards are published after commit and marked ``published_at``;
  an award whose publish failed is published again by the sweep, and every
  client resumes from the database by award id. Because detection is
  serialized per learner, a learner's award ids grow in commit order.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update

from app.achievements import registry
from app.achievements.awards import existing_keys, insert_awards
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
    settled = _pending_event_ids(user.id)
    new = _detect(user, event.id)
    event.processed_at = utcnow()
    event.attempts += 1
    _mark_processed(settled, event.processed_at)
    db.session.commit()
    publish_awards(new)
    return new


def _pending_event_ids(user_id: int) -> list[int]:
    """The learner's unprocessed events committed so far, read BEFORE the state.

    The state loaded next sees every fact of these events, so this one
    evaluation settles them all; their own tasks then find them processed and
    return at once. A backlog of N events for one learner costs one
    evaluation, not N (bench/throughput.py). Events committed after this read
    are left for their own task.
    """
    query = select(ProgressEvent.id).where(ProgressEvent.user_id == user_id,
                                           ProgressEvent.processed_at.is_(None))
    return list(db.session.scalars(query))


def _mark_processed(event_ids: list[int], at: datetime) -> None:
    if event_ids:
        db.session.execute(update(ProgressEvent).where(
            ProgressEvent.id.in_(event_ids), ProgressEvent.processed_at.is_(None),
        ).values(processed_at=at).execution_options(synchronize_session=False))


def lock_learner(user_id: int) -> User:
    """Serialize detection per learner with a row lock (a no-op on SQLite's single writer).

    NO KEY UPDATE (``key_share=True``) conflicts with another detection's lock
    but not with the KEY SHARE locks that inserting the learner's progress
    rows takes, so recording progress never waits for detection.
    """
    query = (select(User).where(User.id == user_id).with_for_update(key_share=True)
             .execution_options(populate_existing=True))
    user = db.session.scalar(query)
    if user is None:
        raise LookupError(f"no user {user_id}")
    return user


def _detect(user: User, event_id: int | None) -> list[Achievement]:
    state = load_state(user)
    due = registry.evaluate(state, current_app.config["ACHIEVEMENTS_CONFIG"].RULES)
    held = existing_keys([user.id])[user.id]
    fresh = [award for award in due if award.dedupe_key not in held]
    return insert_awards(user.id, fresh, source_event_id=event_id)
