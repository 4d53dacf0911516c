"""Detection: one progress event in, the awards it made due stored exactly once.

Exactly-once reasoning, end to end:

* at least once — the event row (outbox) is committed with its facts before
  the task is enqueued; Celery redelivers a task whose worker died
  (``acks_late`` + ``reject_on_worker_lost``); the beat sweep
  (``app.services.recording.outbox``) re-enqueues anything still unprocessed after
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
  after its own commit — by a task of its learner, or settled by an
  evaluation that listed it as pending before reading the state, so its
  facts were read — so the last evaluation for a learner sees every fact,
  and rules are monotone, so it owes every award (see ``state``). Order,
  lateness and duplicates of events therefore cannot change the result;
* one task per shard of learners, not per event — recording skips the
  enqueue while a task for the learner's shard (``user_id % shards``) is
  waiting (``app.infra.gate``), so a task releases that gate first and
  then evaluates every learner of the shard with an event pending, its own
  event or not: the events whose enqueue was skipped are among them. It
  evaluates them in batches (below), each led by a learner it waits for, so
  a learner another detection holds is evaluated after that one commits. It
  reads them ``SHARD_SCAN`` at a time in learner id order, each read after
  the last id of the one before, so a read is bounded and a task ends once
  it has passed its shard's last learner: events recorded after the release
  are not its concern, their recorders enqueued a task of their own;
* batched across learners — a task locks one learner (waiting), then up
  to ``BATCH_LEARNERS - 1`` other learners with pending events (of its shard,
  or the oldest anywhere for an unsharded task) with ``SKIP LOCKED`` (never
  waiting, so holding those locks cannot deadlock: a transaction waits only
  for its first lock), and settles them all in one transaction — one state
  load, one insert, one commit. Each locked learner is evaluated exactly as
  alone would be: locked, pending events read before its facts
  (``loader.load_batch``), whole state. A learner's other tasks then find
  nothing pending and return after one query. A distinct-learner backlog
  costs one evaluation per batch and one task per shard, not one of each per
  event (bench/throughput.py);
* live — new awards are published after commit and marked ``published_at``;
  an award whose publish failed is published again by the sweep, and every
  client resumes from the database by award id. Because detection is
  serialized per learner, a learner's award ids grow in commit order.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import bindparam, case, select, update

from app.domain import registry
from app.extensions import db
from app.infra.gate import gate, shard_of
from app.infra.sql import fetch_all, fetch_one, in_session, on_postgresql
from app.models import Achievement, ProgressEvent, User
from app.models.types import utcnow
from app.read.learner_state import Batch, Learner, load_batch
from app.services.awarding.awards import store_live_awards
from app.services.awarding.publishing import publish_awards
from app.services.awarding.tracing import settled_events

log = logging.getLogger(__name__)

BATCH_LEARNERS = 32
CANDIDATES_PER_SLOT = 4  # pending events looked at per free batch slot (others may be locked)
SHARD_SCAN = 256  # learners of its shard a task reads at a time

# Statements built once, values bound at execution: per call, building and cache-keying
# them cost more CPU than running them.
_USERS, _EVENTS = User.__table__, ProgressEvent.__table__
_OWNER = select(_EVENTS.c.user_id).where(_EVENTS.c.id == bindparam("event_id"))
_ANY_PENDING = (select(_EVENTS.c.id).where(_EVENTS.c.user_id == bindparam("user_id"),
                                           _EVENTS.c.processed_at.is_(None)).limit(1))
_ANY_PENDING_SQL = ("SELECT id FROM progress_events WHERE user_id = %s AND processed_at IS NULL"
                    " LIMIT 1")
_LOCK_LEARNER = (select(_USERS.c.id, _USERS.c.timezone).where(_USERS.c.id == bindparam("user_id"))
                 .with_for_update(key_share=True))
_WAITING = (select(_EVENTS.c.user_id)
            .where(_EVENTS.c.processed_at.is_(None), _EVENTS.c.user_id != bindparam("owner_id"))
            .order_by(_EVENTS.c.recorded_at.desc()).limit(bindparam("candidates")))
_LOCK_OTHERS = (select(_USERS.c.id, _USERS.c.timezone).where(_USERS.c.id.in_(_WAITING))
                .order_by(_USERS.c.id).limit(bindparam("limit"))
                .with_for_update(key_share=True, skip_locked=True, of=_USERS))
_LOCK_LISTED = (select(_USERS.c.id, _USERS.c.timezone)
                .where(_USERS.c.id.in_(bindparam("ids", expanding=True))).order_by(_USERS.c.id)
                .with_for_update(key_share=True, skip_locked=True))
# In learner id order after a cursor, so each read returns at most ``SHARD_SCAN`` learners
# and a task's reads walk its shard once. ``mod(user_id, n)`` can use no index: PostgreSQL
# answers with a bitmap scan of the partial index of pending events (~2 ms at 20,000).
_SHARD_PENDING = (select(_EVENTS.c.user_id).distinct()
                  .where(_EVENTS.c.processed_at.is_(None),
                         _EVENTS.c.user_id % bindparam("shards") == bindparam("shard"),
                         _EVENTS.c.user_id > bindparam("after"))
                  .order_by(_EVENTS.c.user_id).limit(bindparam("limit")))
_SHARD_PENDING_SQL = ("SELECT DISTINCT user_id FROM progress_events WHERE processed_at IS NULL"
                      " AND mod(user_id, %s) = %s AND user_id > %s ORDER BY user_id LIMIT %s")
# PostgreSQL runs the batch's locks and its mark as plain SQL in the session's transaction
# (app.infra.sql.in_session: ~60 µs of Python less each); SQLite the statements above/below.
_LOCK_LEARNER_SQL = "SELECT id, timezone FROM users WHERE id = %s FOR NO KEY UPDATE"
# The listed ids through a sub-select, as the facts read takes them (app.read.learner_state):
# one generic plan per connection, not a plan per pass priced at the list's length.
_LOCK_LISTED_SQL = ("SELECT id, timezone FROM users WHERE id = ANY(CAST((SELECT %s) AS integer[]))"
                    " ORDER BY id FOR NO KEY UPDATE SKIP LOCKED")
_MARK_PROCESSED_SQL = ("UPDATE progress_events SET processed_at = %(now)s,"
                       " attempts = attempts + CASE WHEN id = %(own_id)s THEN 1 ELSE 0 END"
                       " WHERE id = ANY(%(ids)s) AND processed_at IS NULL"
                       " RETURNING id, recorded_at, request_id")
_MARK_PROCESSED = (update(_EVENTS)
                   .where(_EVENTS.c.id.in_(bindparam("ids", expanding=True)),
                          _EVENTS.c.processed_at.is_(None))
                   .values(processed_at=bindparam("now"),
                           attempts=case((_EVENTS.c.id == bindparam("own_id"),
                                          _EVENTS.c.attempts + 1),
                                         else_=_EVENTS.c.attempts))
                   .returning(_EVENTS.c.id, _EVENTS.c.recorded_at, _EVENTS.c.request_id))


def evaluate_event(event_id: int, user_id: int | None = None,
                   shards: int | None = None, *, gate_released: bool = False) -> list[Achievement]:
    """Evaluate the learner of one event (and settle other learners' pending events).

    Safe to repeat. ``user_id`` is the event's learner as the task carries it
    (looked up when absent); ``shards``, when the gate admitted the task, makes
    it evaluate the learner's whole shard, after releasing its gate unless
    ``gate_released`` (this process released it when it received the task).
    Returns every award it made new, whoever's.
    """
    owner_id = user_id if user_id is not None else _owner_of(event_id)
    if owner_id is None:
        return []
    if shards:
        return _evaluate_shard(event_id, owner_id, shards, gate_released)
    if not _has_pending(owner_id):  # settled by a batch: one round trip
        return []
    settled = _settle(owner_id, event_id)
    publish_awards(settled.new, settled.traces)
    return settled.new


def _evaluate_shard(event_id: int, owner_id: int, shards: int,
                    gate_released: bool) -> list[Achievement]:
    """Every learner of the owner's shard with an event pending, by learner id, in batches
    of ``BATCH_LEARNERS``, read ``SHARD_SCAN`` learners at a time."""
    if not gate_released:
        gate().release(owner_id, shards)  # before any read of pending events: app.infra.gate
    new: list[Achievement] = []
    after = 0
    while waiting := _pending_in_shard(shard_of(owner_id, shards), shards, after):
        remaining = waiting
        while remaining:
            settled = _settle(remaining[0], event_id, others=remaining[1:BATCH_LEARNERS])
            publish_awards(settled.new, settled.traces)
            new += settled.new
            remaining = [learner for learner in remaining[1:] if learner not in settled.locked]
        if len(waiting) < SHARD_SCAN:
            break
        after = waiting[-1]
    return new


class Settled(NamedTuple):
    locked: frozenset[int]  # learners the batch held, whether or not they had events pending
    new: list[Achievement]
    traces: Mapping[int, str | None]  # settled event id -> its recording's request id


def _settle(owner_id: int, event_id: int, others: Sequence[int] | None = None) -> Settled:
    """Lock the learner (waiting) and others with pending events (``others``, or the oldest
    anywhere), store what the batch is owed, mark the events read as pending processed,
    commit."""
    owner = lock_learner(owner_id)
    if owner is None:  # no such learner: nothing to evaluate
        db.session.rollback()
        return Settled(frozenset(), [], {})
    extra = (_lock_others(owner.id, BATCH_LEARNERS - 1) if others is None
             else _lock_listed(others))
    learners = [owner, *extra]
    locked = frozenset(learner.id for learner in learners)
    batch = load_batch(learners)
    if not batch.pending or (others is None and owner.id not in batch.pending):
        db.session.rollback()  # another worker settled them while we waited
        return Settled(locked, [], {})
    sources = {learner: min(ids) for learner, ids in batch.pending.items()}
    if event_id in batch.pending.get(owner.id, ()):
        sources[owner.id] = event_id
    new = _store_due(batch, sources)
    marked = _mark_processed([i for ids in batch.pending.values() for i in ids], event_id)
    db.session.commit()
    return Settled(locked, new, settled_events(marked, new))


def _owner_of(event_id: int) -> int | None:
    """Tasks enqueued before they carried ``user_id`` (or by hand) name only the event."""
    owner = db.session.scalar(_OWNER, {"event_id": event_id})
    db.session.rollback()
    return owner


def _has_pending(user_id: int) -> bool:
    """Outside any transaction (autocommit): no BEGIN and no ROLLBACK round trips.

    Most tasks of a distinct-learner backlog find their learner settled by an
    earlier batch; this keeps their cost to one query — on PostgreSQL a
    prepared one on the read pool (~0.2 ms of a worker's CPU less than an
    engine connection). A stale answer only means the locked read below decides.
    """
    if on_postgresql():
        return fetch_one(_ANY_PENDING_SQL, (user_id,)) is not None
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return connection.execute(_ANY_PENDING, {"user_id": user_id}).first() is not None


def _pending_in_shard(shard: int, shards: int, after: int) -> list[int]:
    """Up to ``SHARD_SCAN`` learners of the shard with an event pending, ids above ``after``
    in order; outside any transaction, like :func:`_has_pending`."""
    if on_postgresql():
        return [row[0] for row in fetch_all(_SHARD_PENDING_SQL,
                                            (shards, shard, after, SHARD_SCAN))]
    params = {"shards": shards, "shard": shard, "after": after, "limit": SHARD_SCAN}
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return list(connection.execute(_SHARD_PENDING, params).scalars())


def lock_learner(user_id: int) -> Learner | None:
    """Lock the learner for detection, waiting for another detection of theirs to end.

    NO KEY UPDATE (``key_share=True``) conflicts with another detection's lock
    but not with the KEY SHARE locks that inserting the learner's progress
    rows takes, so recording progress never waits for detection. Their
    events may be settled by the time the lock is granted: the caller re-reads.
    """
    rows = in_session(_LOCK_LEARNER_SQL, (user_id,)) if on_postgresql() \
        else db.session.execute(_LOCK_LEARNER, {"user_id": user_id}).all()
    return Learner(*rows[0]) if rows else None


def _lock_others(owner_id: int, limit: int) -> list[Learner]:
    """Up to ``limit`` other learners with the oldest pending events, locked, SKIP LOCKED."""
    if limit <= 0:
        return []
    params = {"owner_id": owner_id, "candidates": limit * CANDIDATES_PER_SLOT, "limit": limit}
    return [Learner(row.id, row.timezone) for row in db.session.execute(_LOCK_OTHERS, params)]


def _lock_listed(user_ids: Sequence[int]) -> list[Learner]:
    """Those of these learners no other detection holds, locked, SKIP LOCKED."""
    if not user_ids:
        return []
    rows = in_session(_LOCK_LISTED_SQL, (list(user_ids),)) if on_postgresql() \
        else db.session.execute(_LOCK_LISTED, {"ids": list(user_ids)}).all()
    return [Learner(*row) for row in rows]


def _store_due(batch: Batch, sources: Mapping[int, int]) -> list[Achievement]:
    """Insert what each learner with pending events is owed and does not hold yet."""
    rules = current_app.config["ACHIEVEMENTS_CONFIG"].RULES
    due = {user_id: [award for award in registry.evaluate(batch.states[user_id], rules)
                     if award.dedupe_key not in batch.held[user_id]]
           for user_id in batch.pending}
    return store_live_awards({k: v for k, v in due.items() if v}, sources)


def _mark_processed(event_ids: list[int], own_event_id: int) -> list[Any]:
    """Settle the pending events read before the state; the task's own event counts an
    attempt. Returns ``(id, recorded_at, request_id)`` of the events this marked."""
    params = {"ids": event_ids, "now": utcnow(), "own_id": own_event_id}
    if on_postgresql():
        return in_session(_MARK_PROCESSED_SQL, params)
    return list(db.session.execute(_MARK_PROCESSED, params))
