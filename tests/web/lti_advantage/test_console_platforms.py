"""The console's LMS platforms page: administrators confirm or reject what registered itself
by Dynamic Registration; nobody else may, and the forms need their CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import LtiPlatform, User
from app.services.accounts import create_user
from app.services.lti.registrations import PlatformSpec, add_platform
from tests.web.conftest import PASSWORD, login, login_with_csrf


def pending(name: str = "Moodle (lms.example)") -> LtiPlatform:
    return add_platform(PlatformSpec(
        issuer="https://lms.example", client_id="abc", name=name, status="pending",
        auth_login_url="https://lms.example/auth", auth_token_url="https://lms.example/token",
        jwks_url="https://lms.example/jwks", deployment_ids=["1"]))


def test_admins_see_pending_platforms(app: Flask, make_user: Callable[..., User]) -> None:
    pending()
    page = login(app.test_client(), make_user("admin")).get("/console/lti-platforms")

    assert page.status_code == 200
    assert "Confirm<span class=\"visually-hidden\"> Moodle (lms.example)" in page.get_data(
        as_text=True)


def test_confirming_makes_it_active(app: Flask, make_user: Callable[..., User]) -> None:
    platform = pending()
    client = login(app.test_client(), make_user("admin"))

    answer = client.post(f"/console/lti-platforms/{platform.id}/confirm")

    assert answer.status_code == 302
    db.session.refresh(platform)
    assert platform.status == "active"


def test_rejecting_removes_it(app: Flask, make_user: Callable[..., User]) -> None:
    platform_id = pending().id
    client = login(app.test_client(), make_user("admin"))

    client.post(f"/console/lti-platforms/{platform_id}/reject")

    db.session.expire_all()
    assert db.session.get(LtiPlatform, platform_id) is None


def test_instructors_may_not(app: Flask, make_user: Callable[..., User]) -> None:
    platform = pending()
    client = login(app.test_client(), make_user("instructor"))

    assert client.get("/console/lti-platforms").status_code == 403
    assert client.post(f"/console/lti-platforms/{platform.id}/confirm").status_code == 403
    db.session.refresh(platform)
    assert platform.status == "pending"


def test_learners_and_strangers_may_not(app: Flask, make_user: Callable[..., User]) -> None:
    platform = pending()

    assert login(app.test_client(), make_user()).get("/console/lti-platforms").status_code == 403
    assert app.test_client().post(
        f"/console/lti-platforms/{platform.id}/confirm").status_code in (302, 401, 403)
    db.session.refresh(platform)
    assert platform.status == "pending"


def test_confirming_needs_the_csrf_token(csrf_app: Flask) -> None:
    with csrf_app.app_context():
        platform_id = pending().id
        admin = create_user("root@example.com", PASSWORD, "admin")
    client: FlaskClient = csrf_app.test_client()
    token = login_with_csrf(client, admin)

    refused = client.post(f"/console/lti-platforms/{platform_id}/confirm")
    accepted = client.post(f"/console/lti-platforms/{platform_id}/confirm",
                           data={"csrf_token": token})

    assert (refused.status_code, accepted.status_code) == (400, 302)


def test_an_unknown_platform_is_not_found(app: Any, make_user: Callable[..., User]) -> None:
    client = login(app.test_client(), make_user("admin"))

    assert client.post("/console/lti-platforms/999/confirm").status_code == 404
