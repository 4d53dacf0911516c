"""OpenID Connect sign-in against a real provider process (oidc-provider-mock): first
sign-in creates the account from the claims, the next finds the same one, roles from the
configured claim map, ``next`` kept and checked, replayed state refused."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Identity, User
from tests.support.oidc import MockProvider
from tests.web.signin.conftest import sample, through_provider

REFUSED = "achievements_sign_in_refusals_total"


def users() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def test_first_sign_in_creates_the_account_the_next_finds_it(
        signin_client: FlaskClient, provider: MockProvider) -> None:
    provider.set_user("ada-1", email="ada@uni.example", email_verified=True,
                      name="Ada Lovelace", locale="de-DE")
    created = sample("achievements_sign_ins_total", protocol="oidc", account="created")
    response, _ = through_provider(signin_client, "ada-1", next_url="/history")
    assert response.status_code == 302 and response.headers["Location"] == "/history"
    user = db.session.scalar(select(User).where(User.email == "ada@uni.example"))
    assert user is not None and (user.display_name, user.locale, user.role) == \
        ("Ada Lovelace", "de", "learner")
    identity = db.session.scalar(select(Identity).where(Identity.user_id == user.id))
    assert identity is not None and (identity.provider, identity.subject) == ("oidc:uni", "ada-1")
    assert sample("achievements_sign_ins_total", protocol="oidc", account="created") == created + 1
    assert signin_client.get("/").status_code == 200  # signed in

    signin_client.post("/logout")
    again, _ = through_provider(signin_client, "ada-1")
    assert again.status_code == 302 and again.headers["Location"] == "/"
    assert users() == 1
    assert signin_client.get("/").status_code == 200


def test_the_role_comes_from_the_configured_claim_map(
        signin_client: FlaskClient, provider: MockProvider) -> None:
    provider.set_user("grace-2", email="grace@uni.example", email_verified=True,
                      groups=["students", "staff"])
    through_provider(signin_client, "grace-2")
    assert db.session.scalar(select(User.role).where(User.email == "grace@uni.example")) == \
        "instructor"
    provider.set_user("lin-3", email="lin@uni.example", groups=["students", "unmapped"])
    through_provider(signin_client, "lin-3")
    assert db.session.scalar(select(User.role).where(User.email == "lin@uni.example")) == \
        "learner"


def test_next_pointing_elsewhere_goes_to_the_dashboard(
        signin_client: FlaskClient, provider: MockProvider) -> None:
    provider.set_user("eve-4", email="eve4@uni.example")
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        signin_client.post("/logout")
        response, _ = through_provider(signin_client, "eve-4", next_url=target)
        assert response.headers["Location"] == "/", target


def test_a_replayed_callback_is_refused_and_creates_nothing(
        signin_client: FlaskClient, provider: MockProvider) -> None:
    provider.set_user("bob-5", email="bob@uni.example")
    response, callback = through_provider(signin_client, "bob-5")
    assert response.status_code == 302
    before, refused = users(), sample(REFUSED, protocol="oidc", reason="state")
    signin_client.post("/logout")
    replay = signin_client.get(callback)
    assert replay.status_code == 400
    assert "Sign-in failed" in replay.get_data(as_text=True)
    assert users() == before
    assert sample(REFUSED, protocol="oidc", reason="state") == refused + 1
    assert signin_client.get("/").status_code == 302  # still signed out


def test_an_unknown_provider_is_404(signin_client: FlaskClient) -> None:
    assert signin_client.get("/login/oidc/nobody").status_code == 404
    assert signin_client.get("/login/oidc/nobody/callback?code=x&state=y").status_code == 404


def test_the_login_page_offers_each_provider(signin_client: FlaskClient) -> None:
    page = signin_client.get("/login?next=/history").get_data(as_text=True)
    assert "Sign in with Example University" in page
    assert 'href="/login/oidc/uni?next=/history"' in page
    assert 'name="password"' in page


def test_password_login_off_hides_the_form_and_refuses_passwords(
        signin_app: Flask, signin_client: FlaskClient) -> None:
    signin_app.config["PASSWORD_LOGIN"] = False
    from app.services.accounts import create_user

    create_user("local@example.com", "password123")
    page = signin_client.get("/login").get_data(as_text=True)
    assert 'name="password"' not in page and "Sign in with Example University" in page
    refused = signin_client.post("/login", data={"email": "local@example.com",
                                                 "password": "password123"})
    assert refused.status_code == 403
    assert signin_client.get("/").status_code == 302


def test_password_login_off_still_lets_an_administrator_in_through_recovery(
        signin_app: Flask, signin_client: FlaskClient) -> None:
    """The break-glass way in: /login?recovery=1 takes a password from admins only (the
    CLI's recovery account), never from anyone else."""
    signin_app.config["PASSWORD_LOGIN"] = False
    from app.services.accounts import create_user

    create_user("root@example.com", "password123", "admin")
    create_user("pupil@example.com", "password123")
    page = signin_client.get("/login?recovery=1").get_data(as_text=True)
    assert 'name="password"' in page and "for administrators only" in page
    learner = signin_client.post("/login?recovery=1", data={"email": "pupil@example.com",
                                                            "password": "password123"})
    assert learner.status_code == 403 and signin_client.get("/").status_code == 302
    admin = signin_client.post("/login?recovery=1", data={"email": "root@example.com",
                                                          "password": "password123"})
    assert admin.status_code == 302 and signin_client.get("/").status_code == 200


def test_after_log_out_the_provider_session_can_be_ended_too(
        signin_client: FlaskClient, provider: MockProvider) -> None:
    provider.set_user("rp-6", email="rp@uni.example")
    through_provider(signin_client, "rp-6")
    signin_client.post("/logout")
    assert signin_client.get("/").status_code == 302
    page = signin_client.get("/login").get_data(as_text=True)
    assert "Also sign out of Example University" in page
    assert f'href="{provider.issuer}/oauth2/end_session?id_token_hint=' in page
    assert "post_logout_redirect_uri=http%3A%2F%2Flocalhost%2Flogin" in page
    assert "Also sign out" not in signin_client.get("/login").get_data(as_text=True)  # once
