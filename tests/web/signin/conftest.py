"""Sign-in fixtures: a real OpenID provider process for the session, an app configured with
it (and with a forging provider), and one helper that walks the whole code flow."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from werkzeug.test import TestResponse

from tests.conftest import embedded_config
from tests.support.databases import sqlite_app_context
from tests.support.oidc import ForgingProvider, MockProvider
from tests.web.signin.saml_fixtures import (  # noqa: F401  (SAML fixtures for these tests)
    saml_app,
    saml_client,
    saml_setup,
)

CLIENT_ID = "achievements-test"


@pytest.fixture(scope="session")
def provider() -> Iterator[MockProvider]:
    mock = MockProvider().start()
    yield mock
    mock.stop()


@pytest.fixture(scope="session")
def forger() -> Iterator[ForgingProvider]:
    forging = ForgingProvider(CLIENT_ID)
    yield forging
    forging.stop()


def oidc_settings(provider: MockProvider, forger: ForgingProvider) -> dict[str, dict[str, str]]:
    return {
        "uni": {"issuer": provider.issuer, "client_id": CLIENT_ID, "client_secret": "s3cret",
                "role_claim": "groups", "roles": json.dumps({"staff": "instructor",
                                                             "it-admins": "admin"}),
                "label": "Example University"},
        "forged": {"issuer": forger.issuer, "client_id": CLIENT_ID, "client_secret": "x"},
        "strict": {"issuer": forger.issuer, "client_id": CLIENT_ID, "client_secret": "x",
                   "required_claims": "email hd"},
    }


@pytest.fixture
def signin_app(tmp_path: Path, provider: MockProvider,
               forger: ForgingProvider) -> Iterator[Flask]:
    config = embedded_config(tmp_path, PUBLIC_URL="http://localhost",
                             OIDC=oidc_settings(provider, forger))
    with sqlite_app_context(config) as application:
        yield application


@pytest.fixture
def signin_client(signin_app: Flask) -> FlaskClient:
    return signin_app.test_client()


def through_provider(client: FlaskClient, sub: str, name: str = "uni",
                     next_url: str | None = None) -> tuple[TestResponse, str]:
    """Start at /login/oidc/<name>, authorize ``sub`` at the provider as its form would,
    follow the redirect back; returns our answer and the callback URL (to replay it)."""
    start = client.get(f"/login/oidc/{name}", query_string={"next": next_url} if next_url else {})
    assert start.status_code == 302, start.data
    authorize = start.headers["Location"]
    params = dict(pair.split("=", 1) for pair in urlsplit(authorize).query.split("&"))
    assert params["code_challenge_method"] == "S256" and params["code_challenge"]
    assert params["state"] and params["nonce"]
    answer = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=10) \
        if name == "uni" else requests.get(authorize, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    callback = f"{back.path}?{back.query}"
    return client.get(callback), callback


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0
