"""Store a progress event row and its fact row (a module completion or an assessment
attempt) together or not at all: the one place recording differs between databases.

PostgreSQL: the learner check, the event and its fact are ONE statement of
data-modifying CTEs, run in autocommit on this process's pool of prepared
statements (:mod:`app.infra.pool`): one round trip and a transaction of its own.
Through the ORM it took five (the learner check, BEGIN, two INSERTs, COMMIT)
and ~1 ms of a writer's CPU per event. A lost connection has the statement sent
once more; if the first one did commit, the retry meets its key and the caller
sees a replay (the outbox sweep enqueues the event).

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

from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import bindparam, select, text

from app.extensions import db
from app.infra.inserts import insert_ignore, insert_ignore_returning
from app.infra.sql import fetch_all, fetch_one, on_postgresql
from app.models import AssessmentAttempt, ModuleCompletion, ProgressEvent, User
from app.models.types import UTCDateTime

EVENT_COLUMNS = [c.key for c in ProgressEvent.__table__.columns if c.key != "id"]
FACT_KINDS = ("module", "assessment", None)
EVENT_SQL = """
WITH learner AS (SELECT id FROM users WHERE id = %(user_id)s),
event AS (
  INSERT INTO progress_events (user_id, kind, payload, idempotency_key, request_hash, source,
                               occurred_at, recorded_at, processed_at, attempts, request_id)
  SELECT id, %(kind)s, %(payload)s, %(idempotency_key)s, %(request_hash)s, %(source)s,
         %(occurred_at)s, %(recorded_at)s, NULL, 0, %(request_id)s FROM learner
  ON CONFLICT (user_id, source, idempotency_key) DO NOTHING
  RETURNING id, user_id){fact}
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
    common case) and run it out; it stays for two first events racing."""
    return f"""INSERT INTO enrollments (user_id, course_id, role, created_at)
SELECT f.user_id, f.course_id, 'learner', MIN(f.at) FROM ({facts}) AS f
 WHERE f.course_id IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM enrollments r WHERE r.user_id = f.user_id AND r.course_id = f.course_id)
 GROUP BY f.user_id, f.course_id ORDER BY f.user_id, f.course_id
ON CONFLICT (user_id, course_id) DO NOTHING"""


def _roster_cte(facts: str) -> str:
    return f""",
roster AS (
{roster_sql(facts)})"""


def _single(fact: str | None) -> str:
    """The one statement for an event with this kind of fact: event, fact, roster."""
    if fact is None:  # an activity: no course, no roster
        return EVENT_SQL.format(fact="")
    ids = ("%(module_id)s", None) if fact == "module" else (None, "%(assessment_id)s")
    facts = (f"SELECT e.user_id, {course_of(*ids)} AS course_id,"
             " %(recorded_at)s::timestamptz AS at FROM event e")
    return EVENT_SQL.format(fact=FACT_SQL[fact] + _roster_cte(facts))


STATEMENTS = {fact: _single(fact) for fact in FACT_KINDS}
# SQLite: the same INSERT, run in the event's transaction once its row went in.
ROSTER = text(roster_sql(f"SELECT :user_id AS user_id, "
                         f"{course_of(':module_id', ':assessment_id')} AS course_id, :at AS at")
              ).bindparams(bindparam("at", type_=UTCDateTime()))
USER_EXISTS = select(User.id).where(User.id == bindparam("user_id"))
# Many events of one caller in one statement: the same steps over unnest()ed columns. The
# caller passes each (learner, source, key) once, so every row's fact joins one event.
_MATCH = "(e.user_id, e.source, e.idempotency_key) = (i.user_id, i.source, i.idempotency_key)"
MANY_SQL = f"""
WITH input AS (
  SELECT * FROM unnest(%(user_id)s::int[], %(kind)s::text[], %(payload)s::jsonb[],
                       %(idempotency_key)s::text[], %(request_hash)s::text[], %(source)s::text[],
                       %(occurred_at)s::timestamptz[], %(recorded_at)s::timestamptz[],
                       %(request_id)s::text[], %(module_id)s::int[], %(assessment_id)s::int[],
                       %(score)s::float8[])
    WITH ORDINALITY AS i(user_id, kind, payload, idempotency_key, request_hash, source,
                         occurred_at, recorded_at, request_id, module_id, assessment_id, score,
                         n)),
event AS (
  INSERT INTO progress_events (user_id, kind, payload, idempotency_key, request_hash, source,
                               occurred_at, recorded_at, processed_at, attempts, request_id)
  SELECT i.user_id, i.kind, i.payload, i.idempotency_key, i.request_hash, i.source,
         i.occurred_at, i.recorded_at, NULL, 0, i.request_id
    FROM input i JOIN users u ON u.id = i.user_id ORDER BY i.n
  ON CONFLICT (user_id, source, idempotency_key) DO NOTHING
  RETURNING id, user_id, source, idempotency_key),
completion AS (
  INSERT INTO module_completions (user_id, module_id, completed_at, event_id)
  SELECT i.user_id, i.module_id, i.occurred_at, e.id FROM input i JOIN event e ON {_MATCH}
   WHERE i.module_id IS NOT NULL ORDER BY i.n
  ON CONFLICT (user_id, module_id) DO NOTHING),
attempt AS (
  INSERT INTO assessment_attempts (user_id, assessment_id, score, occurred_at, event_id)
  SELECT i.user_id, i.assessment_id, i.score, i.occurred_at, e.id FROM input i
    JOIN event e ON {_MATCH} WHERE i.assessment_id IS NOT NULL ORDER BY i.n){_roster_cte(
    f"SELECT i.user_id, {course_of('i.module_id', 'i.assessment_id')} AS course_id,"
    f" i.recorded_at AS at FROM input i JOIN event e ON {_MATCH}")}
SELECT u.id, e.id FROM input i LEFT JOIN users u ON u.id = i.user_id
  LEFT JOIN event e ON {_MATCH} ORDER BY i.n"""
MANY_COLUMNS = [*EVENT_COLUMNS, "module_id", "assessment_id", "score"]


def insert_event_with_fact(event: dict[str, Any], fact: dict[str, Any]
                           ) -> tuple[int | None, int | None]:
    """``(learner id, new event id)``: the learner id is None when no such learner exists
    (nothing stored); the event id is None when the learner already has an event under
    this (source, idempotency key) (nothing stored). ``event`` has ``EVENT_COLUMNS``;
    ``fact`` has ``module_id`` or ``assessment_id`` (+ ``score``), or neither."""
    if on_postgresql():
        return _one_statement(event, fact)
    return _one_transaction(event, fact)


def insert_events_with_facts(rows: Sequence[tuple[dict[str, Any], dict[str, Any]]]
                             ) -> list[tuple[int | None, int | None]]:
    """:func:`insert_event_with_fact` for many ``(event, fact)`` rows of distinct keys, in
    order: one statement on PostgreSQL (one round trip for the lot), one transaction per
    row elsewhere."""
    if not rows:
        return []
    if not on_postgresql():
        return [_one_transaction(event, fact) for event, fact in rows]
    merged = [{"module_id": None, "assessment_id": None, "score": None, **event, **fact}
              for event, fact in rows]
    params = {column: [row.get(column) for row in merged] for column in MANY_COLUMNS}
    params["payload"] = [Jsonb(row["payload"]) for row in merged]
    return [(learner, event_id) for learner, event_id in fetch_all(MANY_SQL, params)]


def fact_kind(fact: dict[str, Any]) -> str | None:
    if fact.get("module_id") is not None:
        return "module"
    return "assessment" if fact.get("assessment_id") is not None else None


def _one_statement(event: dict[str, Any], fact: dict[str, Any]
                   ) -> tuple[int | None, int | None]:
    params = {"module_id": None, "assessment_id": None, "score": None, **event, **fact,
              "payload": Jsonb(event["payload"])}
    row = fetch_one(STATEMENTS[fact_kind(fact)], params)
    return (row[0], row[1]) if row is not None else (None, None)


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
