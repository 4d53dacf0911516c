"""The account rules every sign-in protocol ends in (OIDC, SAML, LTI)."""

from __future__ import annotations

import pytest
from flask import Flask

from app.services.accounts import authenticate, create_user
from app.services.accounts.identities import Claims, LinkRequired, role_from, sign_in

ROLES = {"staff": "instructor", "it": "admin", "weird": "superuser"}


def test_the_most_privileged_mapped_role_wins_else_learner() -> None:
    assert role_from(["student", "staff", "it"], ROLES) == "admin"
    assert role_from(["staff"], ROLES) == "instructor"
    assert role_from(["weird", "student"], ROLES) == "learner"  # not a role here
    assert role_from(["staff"], {}) == "learner"  # no map: everyone is a learner


@pytest.mark.both_databases
def test_a_person_without_email_gets_a_placeholder_and_no_password(app: Flask) -> None:
    user, created = sign_in(Claims(provider="saml:https://idp.uni.example/idp",
                                   subject="x1@uni.example"), "learner")
    assert created and user.email.endswith(".invalid")
    assert authenticate(user.email, "!") is None  # no password can ever match
    again, created_again = sign_in(Claims(provider="saml:https://idp.uni.example/idp",
                                          subject="x1@uni.example"), "instructor")
    assert (again.id, created_again, again.role) == (user.id, False, "instructor")


@pytest.mark.both_databases
def test_a_matching_email_is_not_enough_to_bind(app: Flask) -> None:
    create_user("ann@uni.example", "password123")
    with pytest.raises(LinkRequired):
        sign_in(Claims(provider="oidc:uni", subject="a", email="ANN@uni.example",
                       email_verified=True), "admin")


@pytest.mark.both_databases
def test_a_saml_request_is_answerable_once(app: Flask) -> None:
    from app.extensions import db
    from app.models import SamlRequest
    from app.services.signin import SignInRefused
    from app.services.signin.saml import _claim_request

    db.session.add(SamlRequest(request_id="_r1", next_url="/settings"))
    db.session.commit()
    assert _claim_request("_r1") == "/settings"
    with pytest.raises(SignInRefused):
        _claim_request("_r1")
