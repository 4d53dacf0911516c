"""Store a progress event row and its fact row (a module completion or an assessment
attempt) together or not at all: the one place recording differs between databases.

PostgreSQL: the learner check, the facts' catalog look-ups (a module or an assessment
by key; an event whose fact the catalog refuses is not stored), the events and their
facts are ONE statement of data-modifying CTEs (:func:`record_sql`), the same for one
event (REST, gRPC, pages) and for an xAPI batch, run in autocommit on this process's pool
of prepared statements (:mod:`app.infra.pool`): one round trip and a transaction of its own.
Through the ORM it took five (the learner check, BEGIN, two INSERTs, COMMIT)
and ~1 ms of a writer's CPU per event. A lost connection has the statement sent
once more; if the first one did commit, the retry meets its keys and the caller
sees replays (the outbox sweep enqueues the events).

Other databases (the embedded SQLite) take the same steps as separate statements in
one transaction. Both answer the same :class:`Stored`; the recording tests run on both
(``tests/services/recording``).

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
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select, text

from app.extensions import db
from app.infra.inserts import insert_ignore, insert_ignore_returning
from app.infra.sql import fetch_all, on_postgresql
from app.models import (
    Assessment,
    AssessmentAttempt,
    Module,
    ModuleCompletion,
    ProgressEvent,
    User,
)
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
MODULE_BY_KEY = select(Module.id).where(Module.key == bindparam("key"))
ASSESSMENT_BY_KEY = select(Assessment.id, Assessment.max_score).where(
    Assessment.key == bindparam("key"))


class Stored(NamedTuple):
    """What recording one event came to. ``learner`` is None when no such learner exists;
    ``event_id`` is None when nothing was stored: the key was taken, or ``fault`` names what
    the catalog refused (``module`` or ``assessment``: no such key; ``score``: missing or
    not between 0 and ``max_score``)."""

    learner: int | None
    event_id: int | None
    fault: str | None = None
    max_score: float | None = None


# Every recording, one event or many, is this one statement. The events travel as ONE
# JSON array (the C encoder builds it; a constant statement text, prepared once per
# connection): psycopg adapting a dozen parameters, or a dozen arrays element by element,
# cost more Python than the server spends expanding the array. The caller passes each
# (learner, source, key) once, so every row's fact joins one event; ``n`` keeps the order.
# Only the fact tables a call names are in its statement (:func:`record_sql`): starting
# an INSERT into a table costs the server its relation and indexes even for no rows.
# The statement finds the facts' catalog rows by key itself (no look-up round trip before
# it, and no process cache of ids): one index probe per event, as a LATERAL sub-select with
# LIMIT 1, which PostgreSQL does not flatten into a join: planned for its guess of 100 rows
# from ``jsonb_to_recordset``, a join read the whole catalog table into a hash.
# An event whose fact the catalog refuses is not stored; its ``fault`` says why.
_MATCH = "(e.user_id, e.source, e.idempotency_key) = (i.user_id, i.source, i.idempotency_key)"
_INPUT = """
WITH input AS (
  SELECT i.*, (SELECT u.id FROM users u WHERE u.id = i.user_id) AS learner,
         {module_id} AS module_id, {assessment_id} AS assessment_id, {max_score} AS max_score,
         {fault} AS fault, {course} AS course_id
    FROM jsonb_to_recordset(%s::jsonb) AS i(
           n int, user_id int, kind text, payload jsonb, idempotency_key text,
           request_hash text, source text, occurred_at timestamptz, recorded_at timestamptz,
           request_id text, module text, assessment text, score float8){lookups}),
event AS (
  INSERT INTO progress_events (user_id, kind, payload, idempotency_key, request_hash, source,
                               occurred_at, recorded_at, processed_at, attempts, request_id)
  SELECT i.user_id, i.kind, i.payload, i.idempotency_key, i.request_hash, i.source,
         i.occurred_at, i.recorded_at, NULL, 0, i.request_id
    FROM input i WHERE i.learner IS NOT NULL AND i.fault IS NULL ORDER BY i.n
  ON CONFLICT (user_id, source, idempotency_key) DO NOTHING
  RETURNING id, user_id, source, idempotency_key)"""
_LOOKUPS = {
    "module": """
    LEFT JOIN LATERAL (SELECT id FROM modules WHERE key = i.module LIMIT 1) fm ON true""",
    "assessment": """
    LEFT JOIN LATERAL (SELECT id, max_score FROM assessments WHERE key = i.assessment
                      LIMIT 1) fa ON true""",
}
_FAULTS = {
    "module": "WHEN i.module IS NOT NULL AND fm.id IS NULL THEN 'module'",
    "assessment": "WHEN i.assessment IS NOT NULL AND fa.id IS NULL THEN 'assessment'"
                  " WHEN i.assessment IS NOT NULL AND (i.score <= fa.max_score) IS NOT TRUE"
                  " THEN 'score'",
}
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
SELECT i.n, i.learner, e.id, i.fault, i.max_score FROM input i LEFT JOIN event e ON {_MATCH}"""
_JSON_COLUMNS = [c for c in EVENT_COLUMNS if c not in ("processed_at", "attempts")]


@cache
def record_sql(kinds: frozenset[str]) -> str:
    """The statement for a call whose facts are of ``kinds`` (``module``, ``assessment``):
    the catalog look-ups, the events, those facts, and the roster when there are facts."""
    module, assessment = "module" in kinds, "assessment" in kinds
    faults = " ".join(_FAULTS[kind] for kind in sorted(kinds))
    head = _INPUT.format(
        module_id="fm.id" if module else "NULL::int",
        assessment_id="fa.id" if assessment else "NULL::int",
        max_score="fa.max_score" if assessment else "NULL::float8",
        fault=f"CASE {faults} END" if faults else "NULL::text",
        course=course_of("fm.id" if module else None, "fa.id" if assessment else None),
        lookups="".join(_LOOKUPS[kind] for kind in sorted(kinds)))
    facts = "".join(_FACTS[kind] for kind in sorted(kinds))
    return head + facts + (_ROSTER if kinds else "") + _ANSWER


def insert_events_with_facts(rows: Sequence[tuple[dict[str, Any], dict[str, Any]]]
                             ) -> list[Stored]:
    """What became of each ``(event, fact)`` row, in order (:class:`Stored`). ``event`` has
    ``EVENT_COLUMNS``; ``fact`` names a ``module`` key, or an ``assessment`` key and its
    ``score`` (None when missing, negative or not finite), or neither. Keys must be
    distinct within one call. PostgreSQL: one statement, one round trip and its own
    transaction, for one row or many; elsewhere one transaction per row."""
    if not rows:
        return []
    if not on_postgresql():
        return [_one_transaction(event, fact) for event, fact in rows]
    document = json.dumps([_json_row(n, event, fact) for n, (event, fact) in enumerate(rows)])
    kinds = frozenset(kind for _, fact in rows if (kind := fact_kind(fact)) is not None)
    return [Stored(*row[1:]) for row in sorted(fetch_all(record_sql(kinds), (document,)))]


def _json_row(n: int, event: dict[str, Any], fact: dict[str, Any]) -> dict[str, Any]:
    row = {column: event[column] for column in _JSON_COLUMNS}
    row.update(fact, n=n, occurred_at=event["occurred_at"].isoformat(),
               recorded_at=event["recorded_at"].isoformat())
    return row


def fact_kind(fact: dict[str, Any]) -> str | None:
    if fact.get("module") is not None:
        return "module"
    return "assessment" if fact.get("assessment") is not None else None


def _one_transaction(event: dict[str, Any], fact: dict[str, Any]) -> Stored:
    user_id = event["user_id"]
    learner = db.session.scalar(USER_EXISTS, {"user_id": user_id})
    ids, fault, max_score = _catalog_rows(fact)
    if learner is None or fault is not None:
        db.session.rollback()
        return Stored(learner, None, fault, max_score)
    event_id = insert_ignore_returning(ProgressEvent, ["user_id", "source", "idempotency_key"],
                                       event, "id")
    if event_id is None:
        db.session.rollback()
        return Stored(learner, None, None, max_score)
    _add_fact(user_id, event_id, event["occurred_at"], {**fact, **ids})
    _enroll(user_id, event["recorded_at"], ids)
    db.session.commit()
    return Stored(learner, event_id, None, max_score)


def _catalog_rows(fact: dict[str, Any]) -> tuple[dict[str, Any], str | None, float | None]:
    """The fact's catalog ids, what the catalog refused (the statement's ``fault``) and the
    assessment's highest score: the PostgreSQL statement's look-ups."""
    kind = fact_kind(fact)
    if kind == "module":
        module_id = db.session.scalar(MODULE_BY_KEY, {"key": fact["module"]})
        return {"module_id": module_id}, None if module_id else "module", None
    if kind == "assessment":
        found = db.session.execute(ASSESSMENT_BY_KEY, {"key": fact["assessment"]}).first()
        if found is None:
            return {}, "assessment", None
        score = fact["score"]
        fault = None if score is not None and score <= found.max_score else "score"
        return {"assessment_id": found.id}, fault, found.max_score
    return {}, None, None


def _enroll(user_id: int, recorded_at: Any, ids: dict[str, Any]) -> None:
    """The roster step of a new event (the PostgreSQL statements' ``roster`` CTE)."""
    if ids:
        db.session.execute(ROSTER, {"user_id": user_id, "at": recorded_at,
                                    "module_id": ids.get("module_id"),
                                    "assessment_id": ids.get("assessment_id")})


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
