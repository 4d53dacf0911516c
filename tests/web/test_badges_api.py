"""/api/v1/badges over HTTP: who may call each route (the authz matrix), problem+json errors
naming the failing path, versions, the dry-run count, publishing and archiving."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Badge, BadgeVersion, User
from app.services.accounts import enroll
from app.services.accounts.principal import Principal
from app.services.badges import create_badge
from tests.services.awarding.conftest import award, award_keys, record
from tests.support.catalog import build_catalog
from tests.web.conftest import login_with_csrf

API = "/api/v1/badges"
PROBLEM = "application/problem+json"
ADMIN = Principal(kind="admin", id=0, name="setup")
WHEN = datetime(2024, 5, 1, 12, tzinfo=UTC)
BOTH = {"all": [{"module_complete": "c1-u1-m1"}, {"module_complete": "c1-u1-m2"}]}


def definition(key: str, course: str = "c1", **extra: object) -> dict:
    return {"key": key, "title": f"Badge {key}", "description": "Earned it.",
            "criteria": {"module_complete": f"{course}-u1-m1"}, **extra}


@pytest.fixture
def setup(people: dict[str, User], make_user: Callable[..., User]) -> dict[str, User]:
    """c1 (ida teaches it) and c2 (ivy teaches it), a draft badge on each course."""
    build_catalog("c2", units=1, modules=2)
    ivy = make_user("instructor", email="ivy@example.com")
    enroll(ivy.id, "c2", "instructor")
    create_badge(ADMIN, definition("c1-badge"))
    create_badge(ADMIN, definition("c2-badge", "c2"))
    return {**people, "ivy": ivy}


@pytest.fixture
def caller(app: Flask, setup: dict[str, User], as_user, token_headers
           ) -> Callable[[str], tuple[FlaskClient, dict[str, str]]]:
    """A client and headers for a caller name: a user's session or a token's scope."""
    def make(name: str) -> tuple[FlaskClient, dict[str, str]]:
        if name in setup:
            return as_user(setup[name]), {}
        if name == "nobody":
            return app.test_client(), {}
        return app.test_client(), token_headers(name)
    return make


# Each route on the c1 badge (or creating one), and what its success answers.
ROUTES = {
    "list": ("GET", API, None, 200),
    "create": ("POST", API, definition("c1-new"), 201),
    "get": ("GET", f"{API}/c1-badge", None, 200),
    "edit": ("PUT", f"{API}/c1-badge", {"title": "Renamed", "criteria": BOTH}, 200),
    "dry run": ("POST", f"{API}/c1-badge/publish", {"dry_run": True}, 200),
    "publish": ("POST", f"{API}/c1-badge/publish", {}, 200),
    "archive": ("POST", f"{API}/c1-badge/archive", None, 200),
}
ALLOWED = ("ada", "badges:write", "ida")  # admin session, the scope, c1's instructor
REFUSED = {"ann": 403, "progress:write": 403, "achievements:read": 403,
           "achievements:admin": 403, "nobody": 401}


def call(client: FlaskClient, route: str, headers: dict[str, str]):
    method, path, body, _ = ROUTES[route]
    return client.open(path, method=method, json=body, headers=headers)


def stored() -> tuple[list[tuple[str, str, int | None]], int]:
    """Every badge's (key, status, published version) and the number of versions."""
    badges = db.session.execute(select(Badge.key, Badge.status, Badge.published_version)
                                .order_by(Badge.key)).all()
    return [tuple(b) for b in badges], db.session.scalar(select(func.count(BadgeVersion.id)))


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("name", ALLOWED)
def test_authors_may_call_every_route(caller, route: str, name: str) -> None:
    client, headers = caller(name)
    response = call(client, route, headers)
    assert response.status_code == ROUTES[route][3], response.get_json()


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("name", REFUSED)
def test_others_are_refused_and_change_nothing(caller, route: str, name: str) -> None:
    client, headers = caller(name)
    before = stored()
    response = call(client, route, headers)
    assert response.status_code == REFUSED[name]
    assert response.mimetype == PROBLEM
    db.session.expire_all()
    assert stored() == before


@pytest.mark.parametrize("route", ["get", "edit", "dry run", "publish", "archive"])
def test_another_courses_instructor_does_not_find_the_badge(caller, route: str) -> None:
    client, headers = caller("ivy")
    before = stored()
    response = call(client, route, headers)
    assert response.status_code == 404 and response.mimetype == PROBLEM
    db.session.expire_all()
    assert stored() == before


def test_instructors_list_and_create_only_their_courses_badges(caller) -> None:
    for name, own, other in (("ida", "c1-badge", "c2"), ("ivy", "c2-badge", "c1")):
        client, _ = caller(name)
        assert [b["key"] for b in client.get(API).get_json()] == [own]
        refused = client.post(API, json=definition(f"{name}-new", other))
        assert refused.status_code == 403 and refused.mimetype == PROBLEM
    client, _ = caller("ada")
    assert [b["key"] for b in client.get(API).get_json()] == ["c1-badge", "c2-badge"]


def test_a_bad_definition_is_422_naming_the_path_and_stores_nothing(caller) -> None:
    client, headers = caller("badges:write")
    before = stored()
    bad = {**definition("bad"), "criteria": {"all": [{"module_complete": "c1-u1-m1"},
                                                     {"holds": "badge:nope"}]}}
    response = client.post(API, json=bad, headers=headers)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    problem = response.get_json()
    assert set(problem["errors"]) == {"criteria.all[1].holds"}
    assert problem["status"] == 422 and problem["type"].endswith("unprocessable-entity")
    nested = {**definition("bad"), "criteria": {"any": [{"at_least": 3, "of": [BOTH]}]}}
    assert "criteria.any[0].at_least" in client.post(API, json=nested, headers=headers
                                                     ).get_json()["errors"]
    db.session.expire_all()
    assert stored() == before


@pytest.mark.parametrize(("body", "field"), [
    ({"key": "Bad Key", "title": "t", "criteria": BOTH}, "key"),
    ({"key": "ok", "title": "t"}, "criteria"),
    ({"key": "ok", "title": "t", "criteria": BOTH, "colour": "red"}, "colour"),
    ({"key": "ok", "title": "t", "criteria": BOTH, "hidden": "yes"}, "hidden"),
    ({"key": "ok", "title": "t", "criteria": BOTH, "expires_after_days": 0},
     "expires_after_days"),
    ({"key": "ok", "title": "t", "criteria": {"a\x00": 1}}, "criteria"),
])
def test_schema_errors_name_the_field(caller, body: dict, field: str) -> None:
    client, headers = caller("badges:write")
    response = client.post(API, json=body, headers=headers)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert field in response.get_json()["errors"]


def test_conflicts_and_unknown_keys(caller) -> None:
    client, headers = caller("badges:write")
    taken = client.post(API, json=definition("c1-badge"), headers=headers)
    assert taken.status_code == 409 and taken.get_json()["errors"] == {"key": ["already exists"]}
    renamed = client.put(f"{API}/c1-badge", json=definition("other"), headers=headers)
    assert renamed.status_code == 422 and "key" in renamed.get_json()["errors"]
    for path in (f"{API}/nope", f"{API}/a%00b", f"{API}/{'x' * 300}", f"{API}/c1-badge%0A"):
        assert client.get(path, headers=headers).status_code == 404
        assert client.post(f"{path}/publish", json={}, headers=headers).status_code == 404


def test_create_answers_the_badge_and_its_location(caller) -> None:
    client, headers = caller("badges:write")
    response = client.post(API, json=definition("fresh", hidden=True, expires_after_days=30),
                           headers=headers)
    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"{API}/fresh")
    body = response.get_json()
    assert body["status"] == "draft" and body["version"] == 1
    assert body["published_version"] is None and body["dedupe_key"] == "badge:fresh"
    assert body["hidden"] is True and body["expires_after_days"] == 30
    assert client.get(f"{API}/fresh", headers=headers).get_json() == body


def test_dry_run_counts_publish_awards_edits_version_archive_stops(caller, setup) -> None:
    ann, bob = setup["ann"], setup["bob"]
    client, headers = caller("badges:write")
    record(ann, "module_completed", WHEN, module="c1-u1-m1")
    dry = client.post(f"{API}/c1-badge/publish", json={"dry_run": True}, headers=headers)
    assert dry.get_json() == {"key": "c1-badge", "version": 1, "would_earn": 1}
    assert "badge:c1-badge" not in award_keys(ann)
    done = client.post(f"{API}/c1-badge/publish", headers=headers)  # no body: defaults
    assert done.get_json() == {"key": "c1-badge", "version": 1, "awarded": 1}
    assert award(ann, "badge:c1-badge").meta["version"] == 1
    edited = client.put(f"{API}/c1-badge", json={"title": "Both", "criteria": BOTH},
                        headers=headers).get_json()
    assert (edited["version"], edited["published_version"], edited["title"]) == (2, 1, "Both")
    assert [v["version"] for v in edited["versions"]] == [1, 2]
    record(bob, "module_completed", WHEN, module="c1-u1-m1")  # v1 is still the published one
    assert "badge:c1-badge" in award_keys(bob)
    again = client.post(f"{API}/c1-badge/publish", json={"notify": True}, headers=headers)
    assert again.get_json() == {"key": "c1-badge", "version": 2, "awarded": 0}
    assert award(ann, "badge:c1-badge").meta["version"] == 1  # earlier awards stay as they were
    archived = client.post(f"{API}/c1-badge/archive", headers=headers).get_json()
    assert archived["status"] == "archived"
    for refused in (client.post(f"{API}/c1-badge/publish", json={}, headers=headers),
                    client.put(f"{API}/c1-badge", json={"title": "x", "criteria": BOTH},
                               headers=headers)):
        assert refused.status_code == 409 and refused.mimetype == PROBLEM
    assert "badge:c1-badge" in award_keys(ann)


def test_publish_takes_json_booleans_only(caller) -> None:
    client, headers = caller("badges:write")
    for body in ({"dry_run": "yes"}, {"dry_run": 1}, {"notify": None}, {"other": True}):
        response = client.post(f"{API}/c1-badge/publish", json=body, headers=headers)
        assert response.status_code == 422 and response.mimetype == PROBLEM
    db.session.expire_all()
    assert db.session.scalar(select(Badge.status).where(Badge.key == "c1-badge")) == "draft"


def test_a_session_write_needs_its_csrf_header(csrf_app: Flask) -> None:
    with csrf_app.app_context():
        build_catalog("c1")
        from app.services.accounts import create_user
        admin = create_user("csrf-admin@example.com", "password123", "admin")
    client = csrf_app.test_client()
    token = login_with_csrf(client, admin)
    refused = client.post(API, json=definition("csrf"))
    assert refused.status_code == 400 and refused.mimetype == PROBLEM
    accepted = client.post(API, json=definition("csrf"), headers={"X-CSRFToken": token})
    assert accepted.status_code == 201


def test_the_openapi_document_lists_every_route(client) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths[API]) >= {"get", "post"}
    assert set(paths[API + "/{key}"]) >= {"get", "put"}
    publish = paths[API + "/{key}/publish"]["post"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(publish["responses"])
    assert publish["responses"]["422"]["content"].keys() == {PROBLEM}
    for path in paths:
        if path.startswith(API):
            assert all(op["security"] == [{"bearer": []}, {"session": []}]
                       for op in paths[path].values() if isinstance(op, dict) and "security" in op)


def test_achievement_types_list_published_badges_hidden_ones_as_mysteries(caller) -> None:
    client, headers = caller("badges:write")
    create_badge(ADMIN, definition("secret", hidden=True, description="Do the secret thing."))
    for key in ("c1-badge", "secret"):
        assert client.post(f"{API}/{key}/publish", headers=headers).status_code == 200
    learner, _ = caller("ann")
    types = {t["key"]: t for t in learner.get("/api/v1/achievement-types").get_json()}
    assert "badge:c2-badge" not in types  # a draft is not a type yet
    assert types["badge:c1-badge"] == {
        "key": "badge:c1-badge", "title": "Badge c1-badge", "description": "Earned it.",
        "thresholds": [], "badge": "badge", "badge_url": "/static/badges/badge.svg",
        "hidden": False}
    assert types["badge:secret"] == {
        "key": "badge:secret", "title": "Hidden badge", "description": "", "thresholds": [],
        "badge": "badge", "badge_url": "/static/badges/badge.svg", "hidden": True}
    assert types["streak"]["hidden"] is False
    client.post(f"{API}/c1-badge/archive", headers=headers)
    keys = {t["key"] for t in learner.get("/api/v1/achievement-types").get_json()}
    assert "badge:c1-badge" not in keys and "badge:secret" in keys
