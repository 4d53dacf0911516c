"""An identity whose email belongs to a local account is never bound by the email alone:
the person proves the account (its password, once, with an issuer-verified email) or an
admin links it (``flask --app wsgi users link``)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Identity, User
from app.services.accounts import create_user
from tests.support.oidc import MockProvider
from tests.web.signin.conftest import through_provider


def identities() -> int:
    return db.session.scalar(select(func.count()).select_from(Identity)) or 0


def test_a_verified_email_links_only_with_the_accounts_password(
        signin_client: FlaskClient, provider: MockProvider) -> None:
    local = create_user("mary@uni.example", "password123", display_name="Mary")
    provider.set_user("mary-7", email="mary@uni.example", email_verified=True)
    response, _ = through_provider(signin_client, "mary-7", next_url="/history")
    assert response.status_code == 409
    assert 'name="password"' in response.get_data(as_text=True)
    assert identities() == 0 and signin_client.get("/").status_code == 302

    wrong = signin_client.post("/login/link", data={"password": "not-it-at-all"})
    assert wrong.status_code == 401 and identities() == 0
    right = signin_client.post("/login/link", data={"password": "password123"})
    assert right.status_code == 302 and right.headers["Location"] == "/history"
    assert db.session.scalar(select(Identity.user_id)) == local.id
    assert db.session.scalar(select(func.count()).select_from(User)) == 1

    signin_client.post("/logout")
    again, _ = through_provider(signin_client, "mary-7")
    assert again.status_code == 302 and signin_client.get("/").status_code == 200


def test_an_unverified_email_is_never_linked_by_password(
        signin_client: FlaskClient, provider: MockProvider) -> None:
    create_user("joan@uni.example", "password123")
    provider.set_user("joan-8", email="joan@uni.example", email_verified=False)
    response, _ = through_provider(signin_client, "joan-8")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'name="password"' not in page and "administrator" in page
    assert signin_client.post("/login/link", data={"password": "password123"}).status_code == 401
    assert identities() == 0


def test_an_admin_links_from_the_cli(signin_app: Flask, signin_client: FlaskClient,
                                     provider: MockProvider) -> None:
    local = create_user("kim@uni.example", "password123")
    runner = signin_app.test_cli_runner()
    result = runner.invoke(args=["users", "link", "kim@uni.example", "oidc:uni", "kim-9"])
    assert result.exit_code == 0, result.output
    provider.set_user("kim-9", email="kim@uni.example", email_verified=False)
    response, _ = through_provider(signin_client, "kim-9")
    assert response.status_code == 302
    assert db.session.scalar(select(Identity.user_id)) == local.id
    other = create_user("other@uni.example", "password123")
    taken = runner.invoke(args=["users", "link", other.email, "oidc:uni", "kim-9"])
    assert taken.exit_code != 0 and "already bound" in taken.output
