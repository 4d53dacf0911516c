"""CSRF: every form and session-authenticated JSON write need the token; bearer calls do not."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.services.accounts import create_token, create_user
from tests.support.catalog import build_catalog
from tests.web.conftest import PASSWORD, login_with_csrf

URL = "/api/v1/progress-events"


@dataclass(frozen=True)
class Someone:
    id: int
    email: str


@pytest.fixture
def admin(csrf_app) -> Someone:
    with csrf_app.app_context():
        build_catalog("c1")
        user = create_user("root@example.com", PASSWORD, "admin")
        return Someone(user.id, user.email)


def event(user_id: int) -> dict:
    return {"user_id": user_id, "kind": "module_completed", "module": "c1-u1-m1",
            "idempotency_key": "k"}


def test_session_json_write_without_token_is_refused(csrf_app, admin) -> None:
    client = csrf_app.test_client()
    login_with_csrf(client, admin)
    response = client.post(URL, json=event(admin.id))
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_session_json_write_with_header_token_succeeds(csrf_app, admin) -> None:
    client = csrf_app.test_client()
    token = login_with_csrf(client, admin)
    response = client.post(URL, json=event(admin.id), headers={"X-CSRFToken": token})
    assert response.status_code == 202


def test_bearer_json_write_is_exempt(csrf_app, admin) -> None:
    with csrf_app.app_context():
        plaintext = create_token("lms", ["progress:write"])[1]
    response = csrf_app.test_client().post(URL, json=event(admin.id),
                                           headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 202


def test_login_form_without_token_is_refused(csrf_app, admin) -> None:
    response = csrf_app.test_client().post("/login", data={"email": admin.email,
                                                           "password": PASSWORD})
    assert response.status_code == 400


def test_logout_form_needs_the_token_even_with_a_bearer_header(csrf_app, admin) -> None:
    client = csrf_app.test_client()
    login_with_csrf(client, admin)
    response = client.post("/logout", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 400
