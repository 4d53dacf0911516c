"""Schemathesis against the served OpenAPI document: every operation, with a token and with a
session; zero 5xx and zero responses the document does not describe.

Bounded (``MAX_EXAMPLES`` per operation, derandomized) so the run is repeatable and takes
well under a minute per credential.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from argon2 import PasswordHasher
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from app import create_app
from app.config import Config
from app.extensions import db
from app.services.accounts import create_token, create_user, enroll, users
from app.services.accounts.principal import Principal
from app.services.badges import create_badge
from tests.conftest import embedded_config
from tests.support.catalog import build_catalog
from tests.web.conftest import PASSWORD, award

MAX_EXAMPLES = 30
ALL_SCOPES = ["progress:write", "achievements:read", "achievements:admin", "badges:write"]
STREAM = "/api/v1/achievements/stream"
SESSION = "session"  # the cookie of a logged-in user
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')
# "Schema-valid data must be accepted" cannot hold for rules OpenAPI 3.0 cannot state: a
# token must name user_id while a session need not, the idempotency key may come in the
# header or the body, a module key must exist in the catalog. Every other check runs.
NOT_EXPRESSIBLE = [checks.positive_data_acceptance]
FUZZ_SETTINGS = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
                         database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """A seeded embedded app; no app context stays pushed while the fuzzer calls it."""
    users._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    app = create_app(embedded_config(Path(tmp_path_factory.mktemp("fuzz"))))
    with app.app_context():
        db.create_all()
        seed(app)
    yield app


def seed(app: Flask) -> None:
    build_catalog("c1", units=1, modules=3)
    learner = create_user("fuzz-learner@example.com", PASSWORD)
    instructor = create_user("fuzz-instructor@example.com", PASSWORD, "instructor")
    create_user("fuzz-admin@example.com", PASSWORD, "admin")
    enroll(learner.id, "c1", "learner")
    enroll(instructor.id, "c1", "instructor")
    for i in range(5):
        award(learner, f"seed{i}")
    create_user("fuzz-outsider@example.com", PASSWORD)  # a learner nobody else may read
    create_badge(Principal(kind="admin", id=0, name="seed"), {
        "key": "fuzz-badge", "title": "Fuzz", "criteria": {"module_complete": "c1-u1-m1"}})
    app.config["FUZZ_TOKEN"] = create_token("fuzzer", ALL_SCOPES)[1]
    app.config["FUZZ_USERS"] = {"learner": learner.id, "instructor": instructor.id}


def session_headers(app: Flask, email: str) -> dict[str, str]:
    """Cookie and X-CSRFToken of a real log-in through the form.

    User-Agent and address are pinned: "strong" session protection drops a session
    whose client fingerprint changes (the fuzzer's WSGI calls carry no REMOTE_ADDR).
    """
    client = app.test_client()
    agent = {"User-Agent": "schemathesis-fuzz", "X-Forwarded-For": "127.0.0.1"}
    token = CSRF_META.search(client.get("/login", headers=agent).get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    client.post("/login", headers=agent,
                data={"email": email, "password": PASSWORD, "csrf_token": token})
    page = client.get("/", headers=agent).get_data(as_text=True)
    csrf = CSRF_META.search(page).group(1)  # type: ignore[union-attr]
    return {**agent, "X-CSRFToken": csrf, SESSION: client.get_cookie("session").value}


@pytest.fixture(scope="module")
def admin_session(fuzz_app: Flask) -> dict[str, str]:
    return session_headers(fuzz_app, "fuzz-admin@example.com")


@pytest.fixture(scope="module")
def instructor_session(fuzz_app: Flask) -> dict[str, str]:
    return session_headers(fuzz_app, "fuzz-instructor@example.com")


@pytest.fixture(scope="module")
def learner_session(fuzz_app: Flask) -> dict[str, str]:
    return session_headers(fuzz_app, "fuzz-learner@example.com")


def documented_operations() -> dict[str, bool]:
    """``"METHOD /path"`` of every operation in the served document (read at collection),
    each with whether it takes any input a negative case could spoil."""
    app = create_app(Config(DATABASE_URL="sqlite://", SECRET_KEY="collect"))
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    return {f"{method.upper()} {path}": bool(item.get("parameters") or op.get("parameters")
                                             or op.get("requestBody"))
            for path, item in paths.items() if path != STREAM
            for method, op in item.items() if method in HTTP_METHODS}


def fuzz(app: Flask, label: str, credentials: dict[str, str],
         mode: GenerationMode = GenerationMode.POSITIVE,
         readable: set[int] | None = None) -> None:
    """Run ``MAX_EXAMPLES`` cases; with ``readable``, every user_id answered must be in it."""
    schema = schema_with_credentials(app, credentials)
    operation = schema.find_operation_by_label(label)
    assert operation is not None, label

    @FUZZ_SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode, auth_storage=schema.auth))
    def run(case: schemathesis.Case) -> None:
        response = case.call_and_validate(excluded_checks=NOT_EXPRESSIBLE)
        if readable is not None and response.status_code < 300:
            assert owners(response.json()) <= readable, "read another learner's data"

    run()


def schema_with_credentials(app: Flask, credentials: dict[str, str]) -> schemathesis.BaseSchema:
    """The served document, with ``credentials`` as its explicit auth: the fuzzer's
    ignored-auth check then removes or spoils them and expects a 401."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

    @schema.auth(refresh_interval=None)
    class Credentials:
        def get(self, case: schemathesis.Case, ctx: object) -> dict[str, str]:
            return credentials

        def set(self, case: schemathesis.Case, data: dict[str, str], ctx: object) -> None:
            for name, value in data.items():
                if name == SESSION:
                    case.cookies = {**(case.cookies or {}), "session": value}
                else:
                    case.headers = {**(case.headers or {}), name: value}

    return schema


def owners(body: object) -> set[int]:
    """Every ``user_id`` anywhere in a JSON body."""
    if isinstance(body, dict):
        found = {body["user_id"]} if isinstance(body.get("user_id"), int) else set()
        return found.union(*(owners(v) for v in body.values()))
    if isinstance(body, list):
        return set().union(*(owners(v) for v in body))
    return set()


OPERATIONS = documented_operations()
WITH_INPUT = [label for label, takes_input in OPERATIONS.items() if takes_input]


@pytest.mark.parametrize("label", OPERATIONS)
def test_with_a_service_token(fuzz_app: Flask, label: str) -> None:
    fuzz(fuzz_app, label, {"Authorization": f"Bearer {fuzz_app.config['FUZZ_TOKEN']}"})


@pytest.mark.parametrize("label", WITH_INPUT)
def test_invalid_input_with_a_service_token(fuzz_app: Flask, label: str) -> None:
    fuzz(fuzz_app, label, {"Authorization": f"Bearer {fuzz_app.config['FUZZ_TOKEN']}"},
         GenerationMode.NEGATIVE)


@pytest.mark.parametrize("label", OPERATIONS)
def test_with_an_admin_session(fuzz_app: Flask, admin_session: dict[str, str], label: str) -> None:
    fuzz(fuzz_app, label, admin_session)


@pytest.mark.parametrize("label", OPERATIONS)
def test_with_a_learner_session(fuzz_app: Flask, learner_session: dict[str, str],
                                label: str) -> None:
    learner = fuzz_app.config["FUZZ_USERS"]["learner"]
    fuzz(fuzz_app, label, learner_session, readable={learner})


@pytest.mark.parametrize("label", OPERATIONS)
def test_with_an_instructor_session(fuzz_app: Flask,
                                    instructor_session: dict[str, str], label: str) -> None:
    people = fuzz_app.config["FUZZ_USERS"]
    fuzz(fuzz_app, label, instructor_session,
         readable={people["instructor"], people["learner"]})
