"""The pure xAPI rules: actors to lookup keys, IRIs to catalog entries, verbs to events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.domain.xapi import (
    Activity,
    EventDue,
    StatementError,
    activity_iri,
    actor_key,
    default_iri,
    event_due,
    fingerprint,
    learner_keys,
    occurred_at,
    parse_default_iri,
)
from app.models.user import mbox_sha1sum

BASE = "https://achievements.example"
VERB = "http://adlnet.gov/expapi/verbs/"
MODULE = Activity("module", "m1")
QUIZ = Activity("assessment", "q1", max_score=20.0)


def statement(verb: str = "completed", **extra) -> dict:
    return {"actor": {"mbox": "mailto:ann@example.com"}, "verb": {"id": VERB + verb},
            "object": {"id": "http://x.example/a"}, **extra}


def test_an_mbox_is_a_key_whatever_its_case() -> None:
    assert actor_key({"mbox": "mailto:Ann@Example.COM"}, BASE) == "mbox:ann@example.com"


def test_an_mbox_sha1sum_is_a_key_in_lowercase() -> None:
    assert actor_key({"mbox_sha1sum": "ABCDEF" + "0" * 34}, BASE) == "sha1:abcdef" + "0" * 34


def test_an_account_on_this_service_names_the_learner_id() -> None:
    assert actor_key({"account": {"homePage": BASE + "/", "name": "42"}}, BASE) == "account:42"


@pytest.mark.parametrize("actor", [
    {"account": {"homePage": "https://other.example", "name": "42"}},
    {"account": {"homePage": BASE, "name": "ann"}},
    {"openid": "https://ann.example"},
    {"objectType": "Group", "member": [{"mbox": "mailto:ann@example.com"}]},
])
def test_actors_that_can_never_be_our_learners_have_no_key(actor: dict) -> None:
    assert actor_key(actor, BASE) is None


def test_a_learner_is_found_by_every_key_form() -> None:
    keys = learner_keys(7, "ann@example.com", mbox_sha1sum("ann@example.com"))
    assert {actor_key(a, BASE) for a in (
        {"mbox": "mailto:ANN@example.com"}, {"account": {"homePage": BASE, "name": "7"}},
        {"mbox_sha1sum": mbox_sha1sum("ann@example.com")})} == set(keys)


def test_default_iris_round_trip_and_foreign_ones_do_not_parse() -> None:
    iri = default_iri(BASE, "module", "c1-u1-m1")
    assert iri == BASE + "/xapi/activities/module/c1-u1-m1"
    assert parse_default_iri(BASE, iri) == ("module", "c1-u1-m1")
    assert parse_default_iri(BASE, BASE + "/xapi/activities/lesson/x") is None
    assert parse_default_iri(BASE, "http://elsewhere/xapi/activities/module/m") is None


def test_only_an_activity_object_has_an_iri() -> None:
    assert activity_iri(statement()) == "http://x.example/a"
    ref = statement(object={"objectType": "StatementRef", "id": "x"})
    assert activity_iri(ref) is None


@pytest.mark.parametrize("verb", ["completed", "passed", "mastered"])
def test_completing_verbs_on_a_module_complete_it(verb: str) -> None:
    assert event_due(statement(verb), MODULE) == EventDue("module_completed", module="m1")


def test_other_verbs_on_a_module_are_activity() -> None:
    assert event_due(statement("experienced"), MODULE) == EventDue("activity")


def test_a_raw_score_on_an_assessment_is_the_score() -> None:
    due = event_due(statement("scored", result={"score": {"raw": 15}}), QUIZ)
    assert due == EventDue("assessment_scored", assessment="q1", score=15.0)


def test_a_scaled_score_is_scaled_by_max_score() -> None:
    due = event_due(statement("passed", result={"score": {"scaled": 0.9}}), QUIZ)
    assert due == EventDue("assessment_scored", assessment="q1", score=18.0)


@pytest.mark.parametrize(("score", "field"), [
    ({"raw": 21}, "$.result.score.raw"), ({"scaled": -0.5}, "$.result.score.scaled"),
    ({"raw": 5, "min": 6, "max": 10}, "$.result.score.raw"),
    ({"raw": 5, "min": 10, "max": 10}, "$.result.score.min"),
])
def test_scores_out_of_range_name_the_field(score: dict, field: str) -> None:
    with pytest.raises(StatementError) as raised:
        event_due(statement("scored", result={"score": score}), QUIZ)
    assert raised.value.field == field


def test_an_assessment_statement_without_a_score_is_activity() -> None:
    assert event_due(statement("attempted"), QUIZ) == EventDue("activity")


def test_a_statement_about_no_activity_is_activity_and_voiding_is_nothing() -> None:
    assert event_due(statement("experienced"), None) == EventDue("activity")
    assert event_due(statement("voided"), None) is None


def test_timestamps_become_utc_and_a_missing_offset_is_utc() -> None:
    when = occurred_at(statement(timestamp="2024-05-01T14:00:00+02:00"))
    assert when == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert occurred_at(statement(timestamp="2024-05-01T12:00:00")) == when
    assert occurred_at(statement()) is None


def test_the_same_statement_ignores_what_the_store_sets() -> None:
    body = statement()
    assert fingerprint(body) == fingerprint({**body, "id": "x", "stored": "now",
                                             "version": "1.0.3"})
    assert fingerprint(body) != fingerprint(statement("passed"))
