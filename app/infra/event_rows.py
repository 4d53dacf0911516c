"""Store a progress event row and its fact row (a module completion or an assessment
attempt) together or not at all: the one place recording differs between databases.

PostgreSQL: the learner check, the events and their facts are ONE statement of
data-modifying CTEs (:func:`record_sql`), the same for one event (REST, gRPC, pages)
and for an xAPI batch, run in autocommit on this process's pool of prepared
statements (:mod:`app.infra.pool`): one round trip and a transaction of its own.
Through the ORM it took five (the learner check, BEGIN, two INSERTs, COMMIT)
and ~1 ms of a writer's CPU per event. A lost connection has the statement sent
once more; if the first one did commit, the retry meets its keys and the caller
sees replays (the outbox sweep enqueues the events).

Other databases (the embedded SQLite) take the same three steps as separate
statements in one transaction. Both answer the same ``(learner id, event id)``;
the recording tests run on both (``tests/services/recording``).

Rosters: a new event with a fact also puts its learner on the fact's course roster
(``enrollments``, role learner) unless they are on it already in any role: one more CTE
on PostgreSQL, one more statement in SQLite's transaction, never a round trip of its
own. The course is found in the statement (:func:`course_of`), not from a process
cache, because a re-import may move a module to another unit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select, text

from app.extensions import db
from app.infra.inserts import insert_ignore, insert_ignore_returning
from app.infra.sql import fetch_all, on_postgresql
from app.models import AssessmentAttempt, ModuleCompletion, ProgressEvent, User
from app.models.types import UTCDateTime

EVENT_COLUMNS = [c.key for c in ProgressEvent.__table__.columns if c.key != "id"]


def course_of(module_id: str | None, assessment_id: str | None) -> str:
    """SQL for the course of a fact, from SQL references (a column or a parameter) to its
    module id and/or assessment id; NULL when neither names one. An assessment belongs to
    a course, a unit or a module, so its course is the first of the three that is set."""
    module = f"""(SELECT mu.course_id FROM modules m JOIN units mu ON mu.id = m.unit_id
   WHERE m.id = {module_id})"""
    assessment = f"""(SELECT COALESCE(a.course_id, au.course_id, amu.course_id)
    FROM assessments a LEFT JOIN units au ON au.id = a.unit_id
    LEFT JOIN modules am ON am.id = a.module_id LEFT JOIN units amu ON amu.id = am.unit_id
   WHERE a.id = {assessment_id})"""
    found = [sql for ref, sql in ((module_id, module), (assessment_id, assessment)) if ref]
    if len(found) < 2:
        return found[0] if found else "NULL"
    return f"COALESCE({', '.join(found)})"


def roster_sql(facts: str) -> str:
    """An INSERT putting each ``(user_id, course_id, at)`` row of the SELECT ``facts`` on
    that course's roster as a learner, once. ``NOT EXISTS`` first: ``ON CONFLICT`` alone
    would draw an id from the sequence for every event of an enrolled learner (the
    common case) and run it out; it stays for two first events racing. A scalar
    subquery, not ``NOT EXISTS``: PostgreSQL turns that into an anti join planned for
    its guess of 100 rows from ``jsonb_to_recordset`` (a hash of the whole roster
    table); this is one index probe per row."""
    return f"""INSERT INTO enrollments (user_id, course_id, role, created_at)
SELECT f.user_id, f.course_id, 'learner', MIN(f.at) FROM ({facts}) AS f
 WHERE f.course_id IS NOT NULL AND (
       SELECT 1 FROM enrollments r WHERE r.user_id = f.user_id AND r.course_id = f.course_id
        LIMIT 1) IS NULL
 GROUP BY f.user_id, f.course_id ORDER BY f.user_id, f.course_id
ON CONFLICT (user_id, course_id) DO NOTHING"""


# SQLite: the same INSERT, run in the event's transaction once its row went in.
ROSTER = text(roster_sql(f"SELECT :user_id AS user_id, "
                         f"{course_of(':module_id', ':assessment_id')} AS course_id, :at AS at")
              ).bindparams(bindparam("at", type_=UTCDateTime()))
USER_EXISTS = select(User.id).where(User.id == bindparam("user_id"))
# Every recording, one event or many, is this one statement. The events travel as ONE
# JSON array (the C encoder builds it; a constant statement text, prepared once per
# connection): psycopg adapting a dozen parameters, or a dozen arrays element by element,
# cost more Python than the server spends expanding the array. The caller passes each
# (learner, source, key) once, so every row's fact joins one event; ``n`` keeps the order.
# Only the fact tables a call names are in its statement (:func:`record_sql`): starting
# an INSERT into a table costs the server its relation and indexes even for no rows.
_MATCH = "(e.user_id, e.source, e.idempotency_key) = (i.user_id, i.source, i.idempotency_key)"
_INPUT = """
WITH input AS (
  SELECT i.*, (SELECT u.id FROM users u WHERE u.id = i.user_id) AS learner,
         {course} AS course_id
    FROM jsonb_to_recordset(%s::jsonb) AS i(
           n int, user_id int, kind text, payload jsonb, idempotency_key text,
           request_hash text, source text, occurred_at timestamptz, recorded_at timestamptz,
           request_id text, module_id int, assessment_id int, score float8)),
event AS (
  INSERT INTO progress_events (user_id, kind, payload, idempotency_key, request_hash, source,
                               occurred_at, recorded_at, processed_at, attempts, request_id)
  SELECT i.user_id, i.kind, i.payload, i.idempotency_key, i.request_hash, i.source,
         i.occurred_at, i.recorded_at, NULL, 0, i.request_id
    FROM input i WHERE i.learner IS NOT NULL ORDER BY i.n
  ON CONFLICT (user_id, source, idempotency_key) DO NOTHING
  RETURNING id, user_id, source, idempotency_key)"""
_FACTS = {
    "module": f""",
completion AS (
  INSERT INTO module_completions (user_id, module_id, completed_at, event_id)
  SELECT i.user_id, i.module_id, i.occurred_at, e.id FROM input i JOIN event e ON {_MATCH}
   WHERE i.module_id IS NOT NULL
  ON CONFLICT (user_id, module_id) DO NOTHING)""",
    "assessment": f""",
attempt AS (
  INSERT INTO assessment_attempts (user_id, assessment_id, score, occurred_at, event_id)
  SELECT i.user_id, i.assessment_id, i.score, i.occurred_at, e.id FROM input i
    JOIN event e ON {_MATCH} WHERE i.assessment_id IS NOT NULL)""",
}
_ROSTER = f""",
roster AS (
{roster_sql(f"SELECT i.user_id, i.course_id, i.recorded_at AS at FROM input i"
            f" JOIN event e ON {_MATCH} WHERE i.course_id IS NOT NULL")})"""
_ANSWER = f"""
SELECT i.n, i.learner, e.id FROM input i LEFT JOIN event e ON {_MATCH}"""
_JSON_COLUMNS = [c for c in EVENT_COLUMNS if c not in ("processed_at", "attempts")]


@cache
def record_sql(kinds: frozenset[str]) -> str:
    """The statement for a call whose facts are of ``kinds`` (``module``, ``assessment``):
    the events, those facts, and the roster when there are facts."""
    course = course_of("i.module_id" if "module" in kinds else None,
                       "i.assessment_id" if "assessment" in kinds else None)
    facts = "".join(_FACTS[kind] for kind in sorted(kinds))
    return _INPUT.format(course=course) + facts + (_ROSTER if kinds else "") + _ANSWER


def insert_events_with_facts(rows: Sequence[tuple[dict[str, Any], dict[str, Any]]]
                             ) -> list[tuple[int | None, int | None]]:
    """``(learner id, new event id)`` for each ``(event, fact)`` row, in order. The learner
    id is None when no such learner exists (nothing stored); the event id is None when the
    learner already has an event under this (source, idempotency key) (nothing stored).
    ``event`` has ``EVENT_COLUMNS``; ``fact`` has ``module_id`` or ``assessment_id``
    (+ ``score``), or neither. Keys must be distinct within one call. PostgreSQL: one
    statement, one round trip and its own transaction, for one row or many; elsewhere
    one transaction per row."""
    if not rows:
        return []
    if not on_postgresql():
        return [_one_transaction(event, fact) for event, fact in rows]
    document = json.dumps([_json_row(n, event, fact) for n, (event, fact) in enumerate(rows)])
    kinds = frozenset(kind for _, fact in rows if (kind := fact_kind(fact)) is not None)
    return [(learner, event_id)
            for _, learner, event_id in sorted(fetch_all(record_sql(kinds), (document,)))]


def _json_row(n: int, event: dict[str, Any], fact: dict[str, Any]) -> dict[str, Any]:
    row = {column: event[column] for column in _JSON_COLUMNS}
    row.update(fact, n=n, occurred_at=event["occurred_at"].isoformat(),
               recorded_at=event["recorded_at"].isoformat())
    return row


def fact_kind(fact: dict[str, Any]) -> str | None:
    if fact.get("module_id") is not None:
        return "module"
    return "assessment" if fact.get("assessment_id") is not None else None


def _one_transaction(event: dict[str, Any], fact: dict[str, Any]
                     ) -> tuple[int | None, int | None]:
    user_id = event["user_id"]
    if db.session.scalar(USER_EXISTS, {"user_id": user_id}) is None:
        return None, None
    event_id = insert_ignore_returning(ProgressEvent, ["user_id", "source", "idempotency_key"],
                                       event, "id")
    if event_id is None:
        db.session.rollback()
        return user_id, None
    _add_fact(user_id, event_id, event["occurred_at"], fact)
    _enroll(user_id, event["recorded_at"], fact)
    db.session.commit()
    return user_id, event_id


def _enroll(user_id: int, recorded_at: Any, fact: dict[str, Any]) -> None:
    """The roster step of a new event (the PostgreSQL statements' ``roster`` CTE)."""
    if fact_kind(fact) is not None:
        db.session.execute(ROSTER, {"user_id": user_id, "at": recorded_at,
                                    "module_id": fact.get("module_id"),
                                    "assessment_id": fact.get("assessment_id")})


def _add_fact(user_id: int, event_id: int, occurred_at: Any, fact: dict[str, Any]) -> None:
    kind = fact_kind(fact)
    if kind == "module":
        insert_ignore(ModuleCompletion, ["user_id", "module_id"], {
            "user_id": user_id, "module_id": fact["module_id"],
            "completed_at": occurred_at, "event_id": event_id,
        })
    elif kind == "assessment":
        db.session.add(AssessmentAttempt(
            user_id=user_id, assessment_id=fact["assessment_id"],
            score=fact["score"], occurred_at=occurred_at, event_id=event_id,
        ))
