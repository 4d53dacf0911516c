"""LTI Dynamic Registration against the test platform: we read its configuration, send
ours with its one-time token, and keep it pending until an administrator confirms. Only
with an administrator's invite: without a usable one, no request leaves and nothing is
stored."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.errors import InvalidInput
from app.extensions import db
from app.models import LtiPlatform
from app.services.lti import dynamic_registration
from app.services.lti.calls import PlatformError
from app.services.lti.invites import create_invite
from app.services.lti.registrations import deployments_of
from tests.support.lti_platform import Platform

TOOL = dynamic_registration.Tool(public_url="https://tool.example", name="Achievements")
TOOL_CONFIG = dynamic_registration.TOOL_CONFIG


def platforms() -> int:
    return db.session.scalar(select(func.count()).select_from(LtiPlatform)) or 0


def test_the_platform_is_stored_pending_with_its_deployment(app: Any,
                                                             lti_platform: Platform) -> None:
    offer = lti_platform.registration_offer()
    stored = dynamic_registration.register(create_invite(), *offer, TOOL)

    made = lti_platform.registrations[-1]["tool"]
    assert (stored.issuer, stored.client_id, stored.status) == (
        lti_platform.issuer, made.client_id, "pending")
    assert (stored.auth_token_url, stored.jwks_url) == (lti_platform.token_url,
                                                        lti_platform.jwks_url)
    assert deployments_of(stored.id) == [made.deployment_id]


def test_our_configuration_names_our_endpoints_messages_and_scopes(
        app: Any, lti_platform: Platform) -> None:
    dynamic_registration.register(create_invite(), *lti_platform.registration_offer(), TOOL)

    sent = lti_platform.registrations[-1]["request"]
    assert sent["initiate_login_uri"] == "https://tool.example/lti/login"
    assert sent["redirect_uris"] == ["https://tool.example/lti/launch"]
    assert sent["jwks_uri"] == "https://tool.example/lti/jwks.json"
    assert {m["type"] for m in sent[TOOL_CONFIG]["messages"]} == {
        "LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    assert "contextmembership.readonly" in sent["scope"] and "lti-ags/scope/score" in sent[
        "scope"]


def test_a_used_registration_token_is_refused_and_nothing_stored(
        app: Any, lti_platform: Platform) -> None:
    offer = lti_platform.registration_offer()
    dynamic_registration.register(create_invite(), *offer, TOOL)

    with pytest.raises(PlatformError, match="401"):
        dynamic_registration.register(create_invite(), *offer, TOOL)
    assert platforms() == 1


@pytest.mark.parametrize("url", ["", "http://lms.example/.well-known/openid-configuration",
                                 "not a url"])
def test_a_configuration_url_that_is_not_https_is_refused(app: Any, url: str) -> None:
    with pytest.raises(InvalidInput):
        dynamic_registration.register(create_invite(), url, "token", TOOL)
    assert platforms() == 0


def test_a_configuration_that_is_not_one_is_refused(app: Any, lti_platform: Platform) -> None:
    with pytest.raises(PlatformError):
        dynamic_registration.register(create_invite(), lti_platform.jwks_url, None, TOOL)
    assert platforms() == 0


def register_page(app: Flask, config_url: str, token: str | None,
                  invite: str | None = "new") -> Any:
    app.config["PUBLIC_URL"] = "https://tool.example"  # platforms take https tools only
    query = {"openid_configuration": config_url,
             **({"registration_token": token} if token else {}),
             **({"invite": create_invite() if invite == "new" else invite} if invite else {})}
    return app.test_client().get("/lti/register", query_string=query)


def test_the_page_registers_and_closes_the_lms_dialog(app: Flask,
                                                     lti_platform: Platform) -> None:
    answer = register_page(app, *lti_platform.registration_offer())

    assert answer.status_code == 200
    assert "data-lti-close" in answer.get_data(as_text=True)
    assert f"frame-ancestors {lti_platform.issuer}" in answer.headers["Content-Security-Policy"]
    assert db.session.scalar(select(LtiPlatform.status)) == "pending"


def test_the_page_says_why_and_stores_nothing(app: Flask, lti_platform: Platform) -> None:
    config_url, token = lti_platform.registration_offer()

    bad_url = register_page(app, "http://lms.example/config", token)
    used_token = register_page(app, config_url, "not-the-token")

    assert bad_url.status_code == 400 and "nothing was stored" in bad_url.get_data(as_text=True)
    assert used_token.status_code == 502
    assert platforms() == 0
