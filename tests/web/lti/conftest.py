"""An LTI platform in miniature for launch tests over the Flask test client: its RSA key
signs id_tokens, its JWKS is served by a real HTTP server on 127.0.0.1 (so fetching,
caching and refetching on a new ``kid`` run for real), and a :class:`Launcher` plays
the browser: login initiation, then the platform's form post of the id_token."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from app.extensions import db
from app.models import Enrollment, Identity, LtiContext, User
from app.services.lti import platform_keys
from app.services.lti.registrations import PlatformSpec, add_platform
from tests.conftest import embedded_config
from tests.support.databases import pg_app_context, sqlite_app_context

TOOL = "https://tool.test"
ISSUER = "https://lms.test"
CLIENT_ID = "tool-client-1"
DEPLOYMENT = "deployment-1"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


class JwksServer:
    """``GET /jwks`` answers whatever ``keys`` holds now (a platform rotating its key)."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.fetches = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.fetches += 1
                body = json.dumps({"keys": owner.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, key: RSAKey) -> None:
        self.keys.append(key.as_dict(private=False))


@pytest.fixture(scope="session")
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer()
    yield server
    server.server.shutdown()


def new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})


@pytest.fixture(scope="session")
def platform_key(jwks_server: JwksServer) -> RSAKey:
    key = new_key("platform-key-1")
    jwks_server.publish(key)
    return key


@pytest.fixture
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The app (SQLite, or PostgreSQL for ``both_databases``) as the tool at ``TOOL``."""
    platform_keys.forget()
    if getattr(request, "param", "sqlite") == "postgresql":
        with pg_app_context(request.getfixturevalue("shared_pg_url")) as application:
            application.config.update(PUBLIC_URL=TOOL, WTF_CSRF_ENABLED=False)
            yield application
        return
    with sqlite_app_context(embedded_config(tmp_path, PUBLIC_URL=TOOL)) as application:
        yield application


@pytest.fixture
def platform(app: Flask, jwks_server: JwksServer, platform_key: RSAKey) -> Any:
    return add_platform(PlatformSpec(
        issuer=ISSUER, client_id=CLIENT_ID, auth_login_url=f"{ISSUER}/auth",
        auth_token_url=f"{ISSUER}/token", jwks_url=jwks_server.url,
        deployment_ids=[DEPLOYMENT]))


@dataclass
class Launcher:
    """A browser launched by the platform: ``login()`` then ``launch(claims)``."""

    client: FlaskClient
    key: RSAKey
    state: str = ""
    nonce: str = ""
    header: dict[str, Any] = field(default_factory=dict)

    def login(self, **params: str) -> Any:
        query = {"iss": ISSUER, "login_hint": "hint-1", "client_id": CLIENT_ID,
                 "target_link_uri": f"{TOOL}/lti/launch", "lti_deployment_id": DEPLOYMENT,
                 **params}
        answer = self.client.get("/lti/login", query_string=query)
        if answer.status_code == 302:
            sent = parse_qs(urlsplit(answer.headers["Location"]).query)
            self.state, self.nonce = sent["state"][0], sent["nonce"][0]
        return answer

    def id_token(self, sub: str = "lms-user-1", roles: list[str] | None = None,
                 custom: dict[str, str] | None = None, **overrides: Any) -> str:
        """A signed id_token for the last login; a claim set to None is left out."""
        claims = launch_claims(self.nonce, sub, roles, **(custom or {}))
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        header = {"alg": "RS256", "kid": self.key.kid, **self.header}
        return jwt.encode(header, claims, self.key)

    def launch(self, token: str | None = None, state: str | None = None, **claims: Any) -> Any:
        return self.client.post("/lti/launch", data={
            "id_token": token or self.id_token(**claims),
            "state": self.state if state is None else state})


def launch_claims(nonce: str, sub: str = "lms-user-1", roles: list[str] | None = None,
                  context: str = "course-101", **custom: str) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISSUER, "aud": CLIENT_ID, "sub": sub, "iat": now, "exp": now + 300,
        "nonce": nonce, "name": "Ada Lovelace", "email": f"{sub}@lms.test",
        "locale": "de-DE",
        LTI + "message_type": "LtiResourceLinkRequest", LTI + "version": "1.3.0",
        LTI + "deployment_id": DEPLOYMENT,
        LTI + "target_link_uri": f"{TOOL}/lti/launch",
        LTI + "resource_link": {"id": "link-" + uuid.uuid4().hex[:6]},
        LTI + "roles": roles if roles is not None else [LEARNER],
        LTI + "context": {"id": context, "title": "Intro to Testing"},
        LTI + "custom": custom,
        LTI + "launch_presentation": {"return_url": f"{ISSUER}/course/view.php?id=101"},
    }


@pytest.fixture
def launcher(app: Flask, platform: Any, platform_key: RSAKey) -> Launcher:
    return Launcher(https_client(app), platform_key)


def https_client(app: Flask) -> FlaskClient:
    """A test client whose requests are https (Secure cookies come back)."""
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


def stored() -> dict[str, int]:
    """What a refused launch must not have created."""
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    db.session.expire_all()
    return {"users": count(User), "identities": count(Identity),
            "enrollments": count(Enrollment), "contexts": count(LtiContext)}


NOTHING = {"users": 0, "identities": 0, "enrollments": 0, "contexts": 0}
