"""Store a progress event with its fact, atomically: one statement on PostgreSQL.

The event row and its fact (a module completion or an assessment attempt)
commit together or not at all, and the event is stored once per (learner,
caller, key): ``ON CONFLICT DO NOTHING`` claims the key and stores the row
in one step, so a new event costs no look-up first.

On PostgreSQL the learner check, the event and its fact are a single
statement with data-modifying CTEs, run in autocommit on this process's
pool of prepared statements (``app.infra.pool``): one round trip
and one transaction of its own. Through the ORM it took five (the learner
check, BEGIN, two INSERTs, COMMIT) and ~1 ms of a writer's CPU per event,
as much as evaluating the event later. A lost connection has the statement
sent once more; if the first one did commit, the retry meets its key and
the caller sees a replay (the outbox sweep enqueues the event). Other
databases (the embedded SQLite) take the same steps through the ORM in one
transaction.
"""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import bindparam, select

from app.extensions import db
from app.infra.inserts import insert_ignore, insert_ignore_returning
from app.infra.sql import fetch_one, on_postgresql
from app.models import AssessmentAttempt, ModuleCompletion, ProgressEvent, User
from app.services.recording.facts import ResolvedInput, unknown_user

EVENT_COLUMNS = [c.key for c in ProgressEvent.__table__.columns if c.key != "id"]
USER_EXISTS = select(User.id).where(User.id == bindparam("user_id"))
# Built once per kind of fact; every value is bound (the statements are prepared).
EVENT_SQL = """
WITH learner AS (SELECT id FROM users WHERE id = %(user_id)s),
event AS (
  INSERT INTO progress_events (user_id, kind, payload, idempotency_key, request_hash, source,
                               occurred_at, recorded_at, processed_at, attempts)
  SELECT id, %(kind)s, %(payload)s, %(idempotency_key)s, %(request_hash)s, %(source)s,
         %(occurred_at)s, %(recorded_at)s, NULL, 0 FROM learner
  ON CONFLICT (user_id, source, idempotency_key) DO NOTHING
  RETURNING id){fact}
SELECT (SELECT id FROM learner), (SELECT id FROM event)"""
FACT_SQL = {
    "module": """,
fact AS (
  INSERT INTO module_completions (user_id, module_id, completed_at, event_id)
  SELECT %(user_id)s, %(module_id)s, %(occurred_at)s, id FROM event
  ON CONFLICT (user_id, module_id) DO NOTHING)""",
    "assessment": """,
fact AS (
  INSERT INTO assessment_attempts (user_id, assessment_id, score, occurred_at, event_id)
  SELECT %(user_id)s, %(assessment_id)s, %(score)s, %(occurred_at)s, id FROM event)""",
    None: "",
}
STATEMENTS = {fact: EVENT_SQL.format(fact=sql) for fact, sql in FACT_SQL.items()}


def store_event(event: ProgressEvent, resolved: ResolvedInput) -> int | None:
    """Store ``event`` (not yet added to a session) and its fact; the new id, or None
    (nothing stored) if the learner already has an event under this caller's key.

    Raises NotFound, storing nothing, when the learner does not exist.
    """
    if on_postgresql():
        return _store_sql(event, resolved)
    return _store_orm(event, resolved)


def _fact_kind(resolved: ResolvedInput) -> str | None:
    if resolved.module_id is not None:
        return "module"
    return "assessment" if resolved.assessment_id is not None else None


def _store_sql(event: ProgressEvent, resolved: ResolvedInput) -> int | None:
    params = {key: getattr(event, key) for key in EVENT_COLUMNS}
    params.update(payload=Jsonb(event.payload), module_id=resolved.module_id,
                  assessment_id=resolved.assessment_id, score=resolved.score)
    row = fetch_one(STATEMENTS[_fact_kind(resolved)], params)
    learner, event_id = row if row is not None else (None, None)
    if learner is None:
        raise unknown_user(event.user_id)
    return event_id


def _store_orm(event: ProgressEvent, resolved: ResolvedInput) -> int | None:
    if db.session.scalar(USER_EXISTS, {"user_id": event.user_id}) is None:
        raise unknown_user(event.user_id)
    row = {key: getattr(event, key) for key in EVENT_COLUMNS}
    event_id = insert_ignore_returning(ProgressEvent, ["user_id", "source", "idempotency_key"],
                                       row, "id")
    if event_id is None:
        db.session.rollback()
        return None
    _add_fact(event.user_id, event_id, event.occurred_at, resolved)
    db.session.commit()
    return event_id


def _add_fact(user_id: int, event_id: int, occurred_at: Any, resolved: ResolvedInput) -> None:
    kind = _fact_kind(resolved)
    if kind == "module":
        insert_ignore(ModuleCompletion, ["user_id", "module_id"], {
            "user_id": user_id, "module_id": resolved.module_id,
            "completed_at": occurred_at, "event_id": event_id,
        })
    elif kind == "assessment":
        db.session.add(AssessmentAttempt(
            user_id=user_id, assessment_id=resolved.assessment_id,
            score=resolved.score, occurred_at=occurred_at, event_id=event_id,
        ))
