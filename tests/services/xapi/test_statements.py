"""Storing statements and the events they become: mapping, idempotency, atomicity, late
matching — on SQLite and again on PostgreSQL (``both_databases``)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.models import Achievement, ProgressEvent, XapiStatement
from app.models.user import mbox_sha1sum
from app.services.accounts import create_user
from app.services.catalog import import_catalog
from app.services.xapi import get_statement, record_due, store_statements, unmatched
from tests.support.catalog import build_catalog, catalog_doc

BASE = "http://127.0.0.1:5000/xapi/activities/"
VERB = "http://adlnet.gov/expapi/verbs/"
SOURCE = "service:1"
pytestmark = pytest.mark.both_databases


def statement(email: str = "user1@example.com", verb: str = "completed",
              activity: str = "module/c1-u1-m1", **extra) -> dict:
    return {"actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
            "verb": {"id": VERB + verb, "display": {"en-US": verb}},
            "object": {"objectType": "Activity", "id": BASE + activity}, **extra}


def events() -> list[ProgressEvent]:
    return list(db.session.scalars(select(ProgressEvent).order_by(ProgressEvent.id)))


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(XapiStatement))


def store(*statements: dict) -> list[str]:
    return store_statements(list(statements), SOURCE, in_array=len(statements) > 1)


def test_a_completed_module_becomes_a_completion_with_its_award(catalog, learner) -> None:
    [ident] = store(statement(timestamp="2024-05-01T12:00:00Z"))
    [event] = events()
    assert (event.user_id, event.kind, event.payload) == (learner.id, "module_completed",
                                                          {"module": "c1-u1-m1"})
    assert (event.idempotency_key, event.source) == (f"xapi:{ident}", f"xapi:{SOURCE}")
    assert event.occurred_at.isoformat() == "2024-05-01T12:00:00+00:00"
    assert db.session.get(XapiStatement, ident).progress_event_id == event.id
    assert "module_complete:c1-u1-m1" in set(db.session.scalars(select(Achievement.dedupe_key)))


def test_a_scored_assessment_becomes_a_score(learner) -> None:
    build_catalog("c1", assessments=[{"key": "q1", "title": "Q", "max_score": 20}])
    store(statement(verb="scored", activity="assessment/q1", result={"score": {"scaled": 0.5}}))
    assert [(e.kind, e.payload) for e in events()] == [
        ("assessment_scored", {"assessment": "q1", "score": 10.0})]


def test_a_score_out_of_range_is_invalid_and_stores_nothing(learner) -> None:
    build_catalog("c1", assessments=[{"key": "q1", "title": "Q", "max_score": 20}])
    with pytest.raises(InvalidInput) as raised:
        store(statement(verb="scored", activity="assessment/q1", result={"score": {"raw": 30}}))
    assert "$.result.score.raw" in raised.value.fields
    assert stored() == 0 and events() == []


def test_other_statements_of_a_known_learner_are_activity(catalog, learner) -> None:
    store(statement(verb="experienced"), statement(verb="completed", activity="course/c1"),
          statement(verb="attended", object={"objectType": "Agent",
                                             "mbox": "mailto:tutor@example.com"}))
    assert [e.kind for e in events()] == ["activity"] * 3


def test_actors_by_sha1_and_account_are_found(catalog, learner) -> None:
    by_sha1 = {**statement(), "actor": {"mbox_sha1sum": mbox_sha1sum(learner.email)}}
    by_account = {**statement(verb="experienced"), "actor": {"account": {
        "homePage": "http://127.0.0.1:5000", "name": str(learner.id)}}}
    store(by_sha1, by_account)
    assert {e.user_id for e in events()} == {learner.id} and len(events()) == 2


def test_an_activity_id_from_the_catalog_names_the_entry(learner) -> None:
    document = catalog_doc("c1")
    document["courses"][0]["units"][0]["modules"][0]["activity_id"] = "https://lms.example/m/1"
    import_catalog(document)
    store({**statement(), "object": {"id": "https://lms.example/m/1"}})
    assert [e.payload for e in events()] == [{"module": "c1-u1-m1"}]


def test_the_same_id_and_statement_stores_nothing_new(catalog, learner) -> None:
    ident = str(uuid.uuid4())
    assert store({**statement(), "id": ident}) == [ident]
    assert store({**statement(), "id": ident.upper()}) == [ident]
    assert stored() == 1 and len(events()) == 1


def test_the_same_id_with_another_statement_conflicts(catalog, learner) -> None:
    ident = str(uuid.uuid4())
    store({**statement(), "id": ident})
    with pytest.raises(Conflict):
        store({**statement(verb="passed"), "id": ident})
    assert stored() == 1 and len(events()) == 1


def test_an_array_with_one_invalid_statement_stores_none(catalog, learner) -> None:
    bad = {**statement(), "actor": {"mbox": "ann@example.com"}}
    with pytest.raises(InvalidInput) as raised:
        store(statement(), statement(verb="experienced"), bad)
    assert list(raised.value.fields) == ["$[2].actor.mbox"]
    assert stored() == 0 and events() == []


def test_an_array_with_a_conflicting_statement_stores_none(catalog, learner) -> None:
    ident = str(uuid.uuid4())
    store({**statement(), "id": ident})
    with pytest.raises(Conflict):
        store(statement(verb="experienced"), {**statement(verb="passed"), "id": ident})
    assert stored() == 1 and len(events()) == 1


def test_repeated_ids_in_one_array_are_invalid(catalog, learner) -> None:
    ident = str(uuid.uuid4())
    with pytest.raises(InvalidInput):
        store({**statement(), "id": ident}, {**statement(), "id": ident})


def test_a_statement_is_kept_as_received_in_the_form_an_lrs_returns(catalog, learner) -> None:
    """Everything sent comes back; the LRS adds id, stored, authority, version, timestamp."""
    body = statement(context={"platform": "Adapt", "extensions": {"http://x.example/e": [1]}})
    [ident] = store(body)
    got = get_statement(ident.upper())
    assert got == {**body, "id": ident, "stored": got["stored"], "timestamp": got["stored"],
                   "version": "1.0.0", "authority": {
                       "objectType": "Agent",
                       "account": {"homePage": "http://127.0.0.1:5000", "name": SOURCE}}}


def test_an_unknown_learner_waits_and_is_matched_once_when_created(catalog) -> None:
    store(statement("new@example.com"), statement("NEW@example.com", verb="experienced"))
    assert events() == [] and [u.waiting_for for u in unmatched()] == ["learner"] * 2
    user = create_user("new@example.com", "password123")
    assert [(e.user_id, e.kind) for e in events()] == [(user.id, "module_completed"),
                                                       (user.id, "activity")]
    assert unmatched() == []
    store(statement("new@example.com"))  # a fresh statement: one more event, the same module
    assert len(events()) == 3


def test_an_unknown_activity_waits_and_is_matched_once_when_imported(learner) -> None:
    store(statement(activity="module/later-u1-m1"))
    assert events() == [] and [u.waiting_for for u in unmatched()] == ["activity"]
    build_catalog("later")
    build_catalog("later")  # a rerun of the import matches nothing twice
    assert [(e.kind, e.payload) for e in events()] == [("module_completed",
                                                       {"module": "later-u1-m1"})]
    assert unmatched() == []


def test_a_late_score_out_of_range_settles_without_an_event(learner) -> None:
    store(statement(verb="scored", activity="assessment/q9", result={"score": {"raw": 50}}))
    build_catalog("c9", assessments=[{"key": "q9", "title": "Q", "max_score": 10}])
    assert events() == [] and unmatched() == []
    row = db.session.scalar(select(XapiStatement))
    assert row.state == "settled" and "outside 0..10" in row.note


def test_a_voiding_statement_makes_no_event(catalog, learner) -> None:
    [ident] = store(statement())
    store({**statement(verb="voided"), "object": {"objectType": "StatementRef", "id": ident}})
    assert len(events()) == 1 and stored() == 2 and unmatched() == []


def test_a_statement_left_due_by_a_crash_is_recorded_by_the_sweep(catalog, learner) -> None:
    [ident] = store(statement())
    row = db.session.get(XapiStatement, ident)
    event_id = row.progress_event_id
    row.state, row.progress_event_id = "due", None  # as if the process died before marking it
    db.session.commit()
    assert [u.waiting_for for u in unmatched()] == ["recording"]
    assert record_due(0) == 1
    assert [e.id for e in events()] == [event_id]  # the statement id keeps the event one
    assert db.session.get(XapiStatement, ident).progress_event_id == event_id


def test_a_future_timestamp_is_allowed_and_its_event_happens_when_stored(catalog,
                                                                          learner) -> None:
    """xAPI allows a timestamp in the future; progress cannot happen later than it is told."""
    [ident] = store(statement(timestamp="2999-01-01T00:00:00Z"))
    [event] = events()
    assert event.occurred_at.year < 2999
    assert get_statement(ident)["timestamp"] == "2999-01-01T00:00:00Z"
