"""Web fixtures: users of every role with their clients, tokens, awards and CSRF-enabled apps."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.domain.registry import AwardDue
from app.extensions import db
from app.models import Achievement, User
from app.services.accounts import enroll
from app.services.awarding.awards import insert_awards
from tests.conftest import embedded_config
from tests.integration.conftest import (  # noqa: F401  (PostgreSQL fixtures for tests/web)
    pg_url,
    redis_config,
    service_settings,
    services_app,
)

PASSWORD = "password123"
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def login(client: FlaskClient, user: User) -> FlaskClient:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.data
    return client


def csrf_token(client: FlaskClient) -> str:
    """The session's CSRF token, read from a page as a browser script would."""
    match = CSRF_META.search(client.get("/").get_data(as_text=True))
    assert match, "no csrf-token meta on the dashboard"
    return match.group(1)


def login_with_csrf(client: FlaskClient, user: User) -> str:
    """Log in through the CSRF-protected form; returns the new session's CSRF token."""
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_META.search(page).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302, response.data
    return csrf_token(client)


def award(user: User, key: str, kind: str = "module_complete",
          earned_at: datetime | None = None) -> Achievement:
    """Store one award for ``user`` directly (no detection), committed."""
    stored = insert_awards(user.id, [AwardDue(kind, f"{kind}:{key}", f"Award {key}", "",
                                              {"key": key})], source_event_id=None)
    db.session.commit()
    if earned_at is not None:
        stored[0].earned_at = earned_at
        db.session.commit()
    return stored[0]


@pytest.fixture
def csrf_app(tmp_path: Path) -> Flask:
    """The embedded app with CSRF protection on, as it runs in production.

    No app context stays pushed: each request gets its own, as in production
    (a shared one would carry ``g``, and with it a stale CSRF token, across requests).
    """
    application = create_app(embedded_config(tmp_path))
    with application.app_context():
        db.create_all()
    return application


@pytest.fixture
def as_user(app: Flask) -> Callable[[User], FlaskClient]:
    """A fresh client logged in as ``user`` (session cookie)."""
    return lambda user: login(app.test_client(), user)


@pytest.fixture
def token_headers(make_token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    return lambda *scopes: {"Authorization": f"Bearer {make_token(*scopes)}"}


@pytest.fixture
def people(make_user: Callable[..., User], catalog: dict) -> dict[str, User]:
    """Two learners (only ``ann`` is in the instructor's course c1), an instructor, an admin."""
    build = {"ann": "learner", "bob": "learner", "ida": "instructor", "ada": "admin"}
    users = {name: make_user(role, email=f"{name}@example.com") for name, role in build.items()}
    enroll(users["ann"].id, "c1", "learner")
    enroll(users["ida"].id, "c1", "instructor")
    return users


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production argon2 costs ~100 ms a hash; these tests hash hundreds of times."""
    from argon2 import PasswordHasher

    from app.services.accounts import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8,
                                                         parallelism=1))
