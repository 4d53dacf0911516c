"""Fixtures every test shares: an embedded app on a fresh SQLite file, users and tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.config import Config
from app.models import User
from app.services.accounts import create_token, create_user
from tests.support.catalog import build_catalog
from tests.support.databases import DATABASES, pg_app_context, sqlite_app_context
from tests.support.lti_platform import lti_platform  # noqa: F401  (see below)
from tests.support.services import fresh_database

# lti_platform, the LTI test platform, is registered here once for the whole run: it sets
# this process's trusted CA (REQUESTS_CA_BUNDLE), so a second copy (one per conftest that
# imported it) left one of the two platforms untrusted.


def embedded_config(tmp_path: Path, **overrides: object) -> Config:
    config = Config(DATABASE_URL=f"sqlite:///{tmp_path / 'test.db'}", SECRET_KEY="test-secret",
                    TESTING=True, SSE_PING_SECONDS=0.5)
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked ``both_databases`` runs on SQLite and again on PostgreSQL."""
    if metafunc.definition.get_closest_marker("both_databases") and \
            "app" in metafunc.fixturenames:
        metafunc.parametrize("app", DATABASES, indirect=True)


@pytest.fixture(scope="session")
def shared_pg_url() -> Iterator[str]:
    """One migrated PostgreSQL database for the run's ``both_databases`` tests."""
    with fresh_database() as url:
        yield url


@pytest.fixture
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The app in its context: the embedded SQLite file, or PostgreSQL when parametrized."""
    if getattr(request, "param", "sqlite") == "postgresql":
        with pg_app_context(request.getfixturevalue("shared_pg_url")) as application:
            application.config["WTF_CSRF_ENABLED"] = False
            yield application
        return
    with sqlite_app_context(embedded_config(tmp_path)) as application:
        yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def catalog(app: Flask) -> dict:
    """The default catalog: course c1, one unit, two modules."""
    return build_catalog("c1", units=1, modules=2)


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(role: str = "learner", timezone: str = "UTC", email: str | None = None) -> User:
        return create_user(email or f"user{next(counter)}@example.com", "password123", role,
                           timezone)

    return make


@pytest.fixture
def learner(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def make_token(app: Flask) -> Callable[..., str]:
    def make(*scopes: str) -> str:
        return create_token("test", list(scopes or ("progress:write", "achievements:read")))[1]

    return make


@pytest.fixture
def bearer(make_token: Callable[..., str]) -> dict[str, str]:
    """Headers of a service token with progress:write and achievements:read."""
    return {"Authorization": f"Bearer {make_token()}"}


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Every award published live during the test."""
    sent: list[dict] = []
    monkeypatch.setattr("app.services.awarding.publishing.publish_many",
                        lambda messages: sent.extend(message for _, message in messages))
    return sent
