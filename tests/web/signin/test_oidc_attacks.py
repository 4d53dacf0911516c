"""Forged ID tokens through the whole callback: each is refused with a clear page (401),
logged with its reason, counted, and creates nothing. The forging provider answers the
protocol correctly except for the one defect named."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Identity, User
from tests.support.oidc import ForgingProvider
from tests.web.signin.conftest import sample, through_provider

REFUSED = "achievements_sign_in_refusals_total"


@pytest.fixture
def forge(forger: ForgingProvider):  # type: ignore[no-untyped-def]
    def set_mode(mode: str) -> ForgingProvider:
        forger.mode = mode
        return forger

    yield set_mode
    forger.mode = "none"


def test_the_forging_provider_signs_in_when_it_forges_nothing(
        signin_client: FlaskClient, forge) -> None:  # type: ignore[no-untyped-def]
    forge("none")
    response, _ = through_provider(signin_client, "forged-1", name="forged")
    assert response.status_code == 302
    assert db.session.scalar(select(Identity.provider)) == "oidc:forged"


@pytest.mark.parametrize(("mode", "reason"), [
    ("issuer", "issuer"),
    ("audience", "audience"),
    ("azp", "audience"),  # our client named only as azp: the audience is checked itself
    ("expired", "expired"),
    ("signature", "signature"),
    ("nonce", "nonce"),
])
def test_a_forged_id_token_is_refused(signin_client: FlaskClient, forge,  # type: ignore[no-untyped-def]
                                      caplog: pytest.LogCaptureFixture,
                                      mode: str, reason: str) -> None:
    forge(mode)
    before = sample(REFUSED, protocol="oidc", reason=reason)
    with caplog.at_level(logging.WARNING, logger="app.signin"):
        response, _ = through_provider(signin_client, "forged-1", name="forged")
    assert response.status_code == 401, response.data
    assert "Sign-in failed" in response.get_data(as_text=True)
    assert sample(REFUSED, protocol="oidc", reason=reason) == before + 1
    assert any(f"refused: {reason}" in r.getMessage() for r in caplog.records)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert db.session.scalar(select(func.count()).select_from(Identity)) == 0
    assert signin_client.get("/").status_code == 302  # not signed in


def test_a_token_without_a_claim_the_provider_requires_is_refused(
        signin_client: FlaskClient, forge) -> None:  # type: ignore[no-untyped-def]
    forge("none")
    before = sample(REFUSED, protocol="oidc", reason="claim")
    response, _ = through_provider(signin_client, "forged-1", name="strict")
    assert response.status_code == 401  # "hd" is required and missing
    assert sample(REFUSED, protocol="oidc", reason="claim") == before + 1
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
