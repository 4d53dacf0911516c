"""The hot paths' batch statements stay priced below PostgreSQL's ``jit_above_cost``, and
detection's are planned once per connection.

Past that cost (100,000 by default) PostgreSQL JIT-compiles the statement: ~10 ms per
execution for statements that run in a fraction of a millisecond. ``jsonb_to_recordset`` is
guessed at 100 rows whatever its document holds, so joining two such guesses, each row with
its look-ups, priced the notices insert at 163,819 and tripled the e2e latency
(bench/README.md, issue 31). EXPLAIN on the migrated, empty schema: plans, not timings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.infra import bulk
from app.infra.event_rows import record_sql
from app.models import User
from app.models.types import utcnow
from app.read.learner_state import _FACTS_SQL, Learner, facts_in_one_statement
from app.services.awarding.detection import _lock_listed
from tests.support.databases import pg_app_context

pytestmark = pytest.mark.integration

EVENT = {"n": 0, "user_id": 1, "kind": "module_completed", "payload": {},
         "idempotency_key": "k", "request_hash": "h", "source": "api",
         "occurred_at": "2026-01-01T00:00:00+00:00", "recorded_at": "2026-01-01T00:00:00+00:00",
         "request_id": None, "module": "m", "assessment": "a", "score": 1.0}
CHANNELS = (("email", True, False), ("push", True, True))
KINDS = [frozenset(), frozenset({"module"}), frozenset({"assessment"}),
         frozenset({"module", "assessment"})]


@pytest.fixture
def app(pg_url: str) -> Iterator[Flask]:
    with pg_app_context(pg_url) as application:
        yield application


def bound_statements() -> dict[str, tuple[str, dict[str, Any]]]:
    now = utcnow()
    return {
        "awards": (bulk._INSERT_AWARDS, {"rows": json.dumps([{
            "u": 1, "t": "module_complete", "k": "k", "ti": "t", "d": "d", "m": {}, "e": 1,
            "p": "p"}]), "earned_at": now, "silent": False}),
        "holders": (bulk._UPSERT_HOLDERS, {"rows": json.dumps([{"k": "k", "t": "t", "n": 1}])}),
        "audit": (bulk._INSERT_AUDIT, {"rows": json.dumps([{"target": "1", "details": {}}]),
                                       "at": now, "actor": "a", "action": "award.grant",
                                       "target_type": "user", "reason": None}),
        "notices": (bulk.notices_sql(CHANNELS), {
            "rows": json.dumps([{"u": 1, "k": "award", "ca": "award:1", "s": 1, "d": None,
                                 "a": [1]}]),
            "category": "awards", "now": now, "email_due": now}),
    }


def planned_cost(plan: Any) -> float:
    return float(plan[0]["Plan"]["Total Cost"])


def test_every_batch_statement_is_priced_below_jit(app: Flask) -> None:
    limit = float(db.session.connection().exec_driver_sql(
        "SELECT current_setting('jit_above_cost')").scalar())
    costs: dict[str, float] = {}
    driver = db.session.connection().exec_driver_sql
    for name, (statement, params) in bound_statements().items():
        costs[name] = planned_cost(driver("EXPLAIN (FORMAT JSON) " + statement, params).scalar())
    for kinds in KINDS:
        costs[f"record {sorted(kinds)}"] = planned_cost(driver(
            "EXPLAIN (FORMAT JSON) " + record_sql(kinds), (json.dumps([EVENT]),)).scalar())
    costs["learner facts"] = planned_cost(driver("EXPLAIN (FORMAT JSON) " + _FACTS_SQL,
                                                 {"ids": [1, 2, 3]}).scalar())
    db.session.rollback()
    assert {name: cost for name, cost in costs.items() if cost >= limit} == {}, costs


def test_detection_statements_keep_one_generic_plan(app: Flask) -> None:
    """A prepared statement gets five custom plans, then PostgreSQL keeps one generic plan
    unless custom plans look cheaper: it planned these three afresh on every pass while
    their arrays were bound as parameters (bench/README.md, issue 31)."""
    learner = User(email="plans@example.com", password_hash="!", role="learner")
    db.session.add(learner)
    db.session.commit()
    for index in range(8):
        _lock_listed([learner.id])
        facts_in_one_statement([Learner(learner.id, None)])
        bulk.insert_notices_pg([(learner.id, "award", f"award:{index}", None, None, [index])],
                               "awards", CHANNELS, utcnow(), utcnow())
    plans = dict(db.session.connection().exec_driver_sql(
        "SELECT CASE WHEN statement LIKE '%%INSERT INTO notifications%%' THEN 'notices'"
        " WHEN statement LIKE '%%FROM users%%' THEN 'lock' ELSE 'facts' END, generic_plans"
        " FROM pg_prepared_statements WHERE statement LIKE '%%INSERT INTO notifications%%'"
        " OR statement LIKE '%%WITH learners AS%%' OR statement LIKE '%%SKIP LOCKED%%'").all())
    db.session.rollback()
    assert plans == {"notices": 3, "facts": 3, "lock": 3}, plans  # 5 custom plans, then one
