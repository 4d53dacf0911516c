"""Registration invitations: ``/lti/register`` answers 403 in words, sends no request to
the URL it was given and stores nothing unless it carries an administrator's invite that
is genuine, at most 7 days old and not used yet. Administrators make the URL in the console
(a CSRF-protected POST); nobody else may."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from app.extensions import db
from app.models import LtiPlatform, User
from app.services.accounts import create_user
from app.services.lti import dynamic_registration, invites
from tests.support.lti_platform import Platform
from tests.web.conftest import PASSWORD, login, login_with_csrf


@pytest.fixture
def outgoing(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The URLs the registration sent requests to (the real calls are still made)."""
    sent: list[str] = []
    real = dynamic_registration.call

    def recording(method: str, url: str, **options: Any) -> Any:
        sent.append(url)
        return real(method, url, **options)

    monkeypatch.setattr(dynamic_registration, "call", recording)
    yield sent


def register(app: Flask, lti_platform: Platform, invite: str | None) -> Any:
    app.config["PUBLIC_URL"] = "https://tool.example"
    config_url, token = lti_platform.registration_offer()
    query = {"openid_configuration": config_url, "registration_token": token,
             **({"invite": invite} if invite is not None else {})}
    return app.test_client().get("/lti/register", query_string=query)


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(LtiPlatform)) or 0


def expired_invite(monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as past:
        past.setattr(TimestampSigner, "get_timestamp",
                     lambda self: int(time.time()) - invites.MAX_AGE - 60)
        return invites.create_invite()


def forged_invite(app: Flask) -> str:
    """Right shape, signed with another salt (as another purpose's token would be)."""
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="lti-handoff").dumps("a" * 32)


@pytest.mark.parametrize("kind", ["none", "empty", "garbage", "forged", "expired"])
def test_without_a_usable_invite_nothing_is_fetched_or_stored(
        app: Flask, lti_platform: Platform, outgoing: list[str],
        monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    invite = {"none": None, "empty": "", "garbage": "not-an-invite",
              "forged": forged_invite(app), "expired": expired_invite(monkeypatch)}[kind]

    answer = register(app, lti_platform, invite)

    page = answer.get_data(as_text=True)
    assert answer.status_code == 403
    assert "Ask the administrator of Learner achievements for a registration URL" in page
    assert "nothing was stored" in page
    assert (outgoing, stored()) == ([], 0)


def test_an_invite_registers_once(app: Flask, lti_platform: Platform,
                                  outgoing: list[str]) -> None:
    invite = invites.create_invite()

    first = register(app, lti_platform, invite)
    sent_by_first = len(outgoing)
    again = register(app, lti_platform, invite)

    assert (first.status_code, again.status_code) == (200, 403)
    assert sent_by_first == 2 and len(outgoing) == 2  # configuration, registration; then none
    assert stored() == 1
    assert len(db.session.scalar(select(LtiPlatform.invite_id)) or "") == 32


def test_admins_make_a_registration_url_that_works(
        app: Flask, lti_platform: Platform, make_user: Callable[..., User]) -> None:
    app.config["PUBLIC_URL"] = "https://tool.example"
    client = login(app.test_client(), make_user("admin"))

    page = client.post("/console/lti-platforms/invite").get_data(as_text=True)

    shown = re.search(r'id="invite-url"[^>]*>([^<]*)</textarea>', page).group(1)  # type: ignore[union-attr]
    assert shown.startswith("https://tool.example/lti/register?invite=")
    assert invites.usable_invite(shown.split("invite=", 1)[1])


def test_others_may_not_make_one(app: Flask, make_user: Callable[..., User]) -> None:
    instructor = login(app.test_client(), make_user("instructor"))

    assert instructor.post("/console/lti-platforms/invite").status_code == 403
    assert login(app.test_client(), make_user()).post(
        "/console/lti-platforms/invite").status_code == 403


def test_making_one_needs_the_csrf_token(csrf_app: Flask) -> None:
    with csrf_app.app_context():
        admin = create_user("root@example.com", PASSWORD, "admin")
    client: FlaskClient = csrf_app.test_client()
    token = login_with_csrf(client, admin)

    refused = client.post("/console/lti-platforms/invite")
    made = client.post("/console/lti-platforms/invite", data={"csrf_token": token})

    assert (refused.status_code, made.status_code) == (400, 200)
    assert 'id="invite-url"' in made.get_data(as_text=True)
