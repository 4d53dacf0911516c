"""POST /api/v1/badges/<key>/awards: a published badge given by hand — who may, all or
nothing, once per learner whichever path came first, and what the award records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Achievement, AuditEvent, User
from app.services.accounts.principal import Principal
from app.services.badges import create_badge, publish_badge
from app.services.badges.by_hand import Note, awardable, give
from tests.services.awarding.conftest import record
from tests.support.catalog import build_catalog
from tests.web.conftest import login_with_csrf

API = "/api/v1/badges"
ADMIN = Principal(kind="admin", id=0, name="setup")
NOTE = {"narrative": "Led the study group all term.",
        "evidence_url": "https://example.org/portfolio/ann"}


def definition(key: str, course: str = "c1") -> dict:
    return {"key": key, "title": f"Helper {key}", "description": "Helped others.",
            "criteria": {"module_complete": f"{course}-u1-m1"}}


@pytest.fixture
def badges(people: dict[str, User]) -> dict[str, str]:
    """A published badge on c1, a draft on c1, an archived one, a published one on c2."""
    build_catalog("c2", units=1, modules=1)
    for key, course in (("helper", "c1"), ("draft", "c1"), ("old", "c1"), ("other", "c2")):
        create_badge(ADMIN, definition(key, course))
    for key in ("helper", "old", "other"):
        publish_badge(ADMIN, key)
    from app.services.badges import archive_badge
    archive_badge(ADMIN, "old")
    return {"published": "helper", "draft": "draft", "archived": "old", "other": "other"}


def post(client: FlaskClient, key: str, body: dict, headers: dict | None = None):
    return client.post(f"{API}/{key}/awards", json=body, headers=headers or {})


def awards_of(key: str) -> list[Achievement]:
    return list(db.session.scalars(select(Achievement).where(
        Achievement.dedupe_key == f"badge:{key}").order_by(Achievement.user_id)))


def test_a_token_awards_by_id_and_email_with_a_note(
        app: Flask, people: dict[str, User], badges: dict, token_headers: Callable) -> None:
    body = {"learners": [{"user_id": people["ann"].id}, {"email": "BOB@example.com"}], **NOTE}
    answer = post(app.test_client(), "helper", body, token_headers("badges:write"))
    assert answer.status_code == 200, answer.get_json()
    stored = awards_of("helper")
    assert answer.get_json() == {
        "awarded": [{"user_id": a.user_id, "achievement_id": a.id} for a in stored],
        "already_held": [], "dry_run": False}
    assert [a.user_id for a in stored] == [people["ann"].id, people["bob"].id]
    meta = stored[0].meta
    assert meta["by_hand"] == {"by": "test", **NOTE}
    assert (meta["badge"], meta["version"]) == ("helper", 1)
    assert stored[0].achievement_type == "badge" and stored[0].title == "Helper helper"


def test_again_gives_nothing_twice_and_names_those_who_hold_it(
        app: Flask, people: dict[str, User], badges: dict, token_headers: Callable) -> None:
    headers = token_headers("badges:write")
    body = {"learners": [{"user_id": people["ann"].id}]}
    first = post(app.test_client(), "helper", body, headers).get_json()
    again = post(app.test_client(), "helper", {"learners": [
        {"user_id": people["ann"].id}, {"user_id": people["bob"].id},
        {"email": "ann@example.com"}]}, headers).get_json()
    assert again["already_held"] == [people["ann"].id]
    assert [a["user_id"] for a in again["awarded"]] == [people["bob"].id]
    assert len(awards_of("helper")) == 2 and first["awarded"][0]["achievement_id"]


def test_an_earned_badge_counts_as_held(app: Flask, people: dict[str, User], badges: dict,
                                        token_headers: Callable) -> None:
    """The automatic path got there first: the same dedupe key, so no second award."""
    record(people["ann"].id, "module_completed", datetime(2024, 5, 1, tzinfo=UTC),
           module="c1-u1-m1")
    assert len(awards_of("helper")) == 1
    answer = post(app.test_client(), "helper", {"learners": [{"user_id": people["ann"].id}]},
                  token_headers("badges:write")).get_json()
    assert answer == {"awarded": [], "already_held": [people["ann"].id], "dry_run": False}


def test_one_unknown_learner_refuses_the_whole_list(
        app: Flask, people: dict[str, User], badges: dict, token_headers: Callable) -> None:
    body = {"learners": [{"user_id": people["ann"].id}, {"email": "nobody@example.com"},
                         {"user_id": 999_999}, {"name": "x"}, {"user_id": "3"}]}
    answer = post(app.test_client(), "helper", body, token_headers("badges:write"))
    assert answer.status_code == 422
    assert answer.content_type == "application/problem+json"
    assert set(answer.get_json()["errors"]) == {"learners[1]", "learners[2]", "learners[3]",
                                                "learners[4]"}
    assert awards_of("helper") == []
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "award.grant")) == 0


@pytest.mark.parametrize("body, field", [
    ({"learners": []}, "learners"),
    ({"learners": [{"user_id": 1}], "evidence_url": "http://plain.example.org"}, "evidence_url"),
    ({"learners": [{"user_id": 1}], "evidence_url": "javascript:alert(1)"}, "evidence_url"),
])
def test_bad_bodies_are_refused_by_field(app: Flask, people: dict, badges: dict,
                                         token_headers: Callable, body: dict, field: str) -> None:
    answer = post(app.test_client(), "helper", body, token_headers("badges:write"))
    assert answer.status_code == 422 and field in answer.get_json()["errors"]
    assert awards_of("helper") == []


@pytest.mark.parametrize("which", ["draft", "archived"])
def test_only_a_published_badge_is_given(app: Flask, people: dict, badges: dict,
                                         token_headers: Callable, which: str) -> None:
    answer = post(app.test_client(), badges[which], {"learners": [{"user_id": people["ann"].id}]},
                  token_headers("badges:write"))
    assert answer.status_code == 409
    assert awards_of(badges[which]) == []


def test_a_dry_run_stores_nothing(app: Flask, people: dict[str, User], badges: dict,
                                  token_headers: Callable) -> None:
    body = {"learners": [{"user_id": people["ann"].id}], "dry_run": True}
    answer = post(app.test_client(), "helper", body, token_headers("badges:write")).get_json()
    assert answer == {"awarded": [{"user_id": people["ann"].id, "achievement_id": None}],
                      "already_held": [], "dry_run": True}
    assert awards_of("helper") == []


def test_an_instructor_awards_only_their_courses_learners(
        app: Flask, people: dict[str, User], badges: dict) -> None:
    """bob is not on c1's roster: to c1's instructor he is unknown, like no one."""
    client = app.test_client()
    headers = {"X-CSRFToken": login_with_csrf(client, people["ida"])}
    refused = post(client, "helper", {"learners": [{"user_id": people["bob"].id}]}, headers)
    assert refused.status_code == 422 and "learners[0]" in refused.get_json()["errors"]
    assert post(client, "other", {"learners": [{"user_id": people["ann"].id}]},
                headers).status_code == 404  # c2's badge is not hers to see
    given = post(client, "helper", {"learners": [{"user_id": people["ann"].id}]}, headers)
    assert given.status_code == 200
    assert awards_of("helper")[0].meta["by_hand"]["by"] == "ida@example.com"


@pytest.mark.parametrize("name, status", [("ann", 403), ("achievements:admin", 403),
                                          ("progress:write", 403), ("nobody", 401)])
def test_who_may_not(app: Flask, people: dict[str, User], badges: dict, as_user: Callable,
                     token_headers: Callable, name: str, status: int) -> None:
    if name in people:
        client, headers = as_user(people[name]), {}
    elif name == "nobody":
        client, headers = app.test_client(), {}
    else:
        client, headers = app.test_client(), token_headers(name)
    answer = post(client, "helper", {"learners": [{"user_id": people["ann"].id}]}, headers)
    assert answer.status_code == status
    assert awards_of("helper") == []


def test_each_gift_is_in_the_audit_log(app: Flask, people: dict[str, User], badges: dict,
                                       token_headers: Callable) -> None:
    post(app.test_client(), "helper", {"learners": [{"user_id": people["ann"].id}], **NOTE},
         token_headers("badges:write"))
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "award.grant"))
    assert entry is not None and entry.reason == NOTE["narrative"]
    assert entry.details["user_id"] == people["ann"].id


def test_a_gift_is_published_live_unless_told_to_stay_quiet(
        app: Flask, people: dict[str, User], badges: dict) -> None:
    badge = awardable(ADMIN, "helper")
    loud = give(ADMIN, badge, [people["ann"].id], Note("why", None, notify=True))
    quiet = give(ADMIN, badge, [people["bob"].id], Note("why", None, notify=False))
    award = db.session.get(Achievement, loud.awarded[0][1])
    assert award is not None and not award.silent and award.published_at is not None
    assert db.session.get(Achievement, quiet.awarded[0][1]).silent


def test_a_badge_that_holds_the_one_given_follows_at_once(
        app: Flask, people: dict[str, User], badges: dict, token_headers: Callable) -> None:
    """'holds' chains are followed to a fixed point: giving helper by hand makes mentor
    (holds helper) and sage (holds mentor) due now, not at the learner's next event."""
    create_badge(ADMIN, {"key": "mentor", "title": "Mentor", "criteria": {
        "holds": "badge:helper"}})
    create_badge(ADMIN, {"key": "sage", "title": "Sage", "criteria": {"holds": "badge:mentor"}})
    publish_badge(ADMIN, "mentor")
    publish_badge(ADMIN, "sage")
    post(app.test_client(), "helper", {"learners": [{"user_id": people["ann"].id}]},
         token_headers("badges:write"))
    assert [a.user_id for a in awards_of("mentor")] == [people["ann"].id]
    assert [a.user_id for a in awards_of("sage")] == [people["ann"].id]
