"""A real browser signs in through a real OpenID provider (oidc-provider-mock, its own
process) to gunicorn running with password sign-in off: the login page offers only the
institution button, the provider's form signs the person in, ``next`` is honoured, the
role comes from the claim map, and the second sign-in lands in the same account."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from tests.support.oidc import MockProvider
from tests.support.services import migrate
from tests.support.web_server import WebServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def oidc_provider() -> Iterator[MockProvider]:
    provider = MockProvider("e2e-oidc-provider").start()
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def sso_server(tmp_path_factory: pytest.TempPathFactory,
               oidc_provider: MockProvider) -> Iterator[WebServer]:
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e-sso') / 'sso.db'}"
    migrate(url)
    server = WebServer({"DATABASE_URL": url, "PASSWORD_LOGIN": "false",
                        "OIDC_CAMPUS_ISSUER": oidc_provider.issuer,
                        "OIDC_CAMPUS_CLIENT_ID": "achievements-e2e",
                        "OIDC_CAMPUS_CLIENT_SECRET": "e2e-secret",
                        "OIDC_CAMPUS_LABEL": "Campus Login",
                        "OIDC_CAMPUS_ROLE_CLAIM": "groups",
                        "OIDC_CAMPUS_ROLES": json.dumps({"faculty": "instructor"})},
                       name="e2e-web-sso")
    server.settings["PUBLIC_URL"] = server.url
    yield server.start()
    server.stop()


def sign_in(page: Any, sub: str) -> None:
    page.get_by_role("link", name="Sign in with Campus Login").click()
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def test_browser_signs_in_through_the_provider(
        sso_server: WebServer, oidc_provider: MockProvider,
        new_context: Callable[..., Any]) -> None:
    oidc_provider.set_user("prof-1", email="prof@campus.example", email_verified=True,
                           name="Prof Ada", groups=["faculty"])
    page = new_context(sso_server.url).new_page()
    page.goto("/login?next=/settings")
    assert page.locator("input[name=password]").count() == 0  # password sign-in is off
    sign_in(page, "prof-1")
    page.wait_for_url(f"{sso_server.url}/settings")

    from app.extensions import db
    from app.models import Identity, User

    with sso_server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == "prof@campus.example"))
        assert user is not None and (user.role, user.display_name) == ("instructor", "Prof Ada")
        first_id = user.id

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{sso_server.url}/login")
    sign_in(page, "prof-1")
    page.wait_for_url(f"{sso_server.url}/")
    with sso_server.app.app_context():
        identities = db.session.scalars(select(Identity)).all()
        assert [(i.provider, i.subject, i.user_id) for i in identities] == \
            [("oidc:campus", "prof-1", first_id)]


def test_browser_password_post_is_refused(sso_server: WebServer,
                                          new_context: Callable[..., Any]) -> None:
    learner = sso_server.new_learner()
    page = new_context(sso_server.url).new_page()
    page.goto("/login")
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    answer = page.request.post(f"{sso_server.url}/login", form={
        "email": learner["email"], "password": learner["password"], "csrf_token": token or ""})
    assert answer.status == 403
