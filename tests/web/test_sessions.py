"""Log-in sessions: fixation, cookie flags, throttled failures; service tokens in the CLI."""

from __future__ import annotations

from pathlib import Path

from app import create_app
from app.extensions import db
from tests.conftest import embedded_config
from tests.web.conftest import PASSWORD, login


def attempt(client, email: str, password: str, address: str = "10.0.0.1"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_login_starts_a_fresh_session(client, learner) -> None:
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, learner)
    with client.session_transaction() as session:
        assert "planted" not in session and session["_user_id"] == str(learner.id)


def test_session_cookie_is_http_only_and_same_site(client, learner) -> None:
    cookie = login(client, learner).get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure


def test_secure_cookie_flag_is_configurable(tmp_path: Path, make_user) -> None:
    app = create_app(embedded_config(tmp_path / "s", SESSION_COOKIE_SECURE=True))
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        db.create_all()
        user = make_user()
        client = app.test_client()
        client.post("/login", data={"email": user.email, "password": PASSWORD},
                    base_url="https://localhost")
        assert client.get_cookie("session", domain="localhost").secure


def test_wrong_password_is_401(client, learner) -> None:
    assert attempt(client, learner.email, "wrong-password").status_code == 401


def test_repeated_failures_are_throttled_even_with_the_right_password(client, learner) -> None:
    for _ in range(5):
        attempt(client, learner.email, "wrong-password")
    response = attempt(client, learner.email, PASSWORD)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0


def test_throttle_is_per_email_and_address(client, learner) -> None:
    for _ in range(5):
        attempt(client, learner.email, "wrong-password")
    assert attempt(client, learner.email, PASSWORD, address="10.0.0.2").status_code == 302


def test_success_clears_the_failure_count(client, learner) -> None:
    for _ in range(4):
        attempt(client, learner.email, "wrong-password")
    assert attempt(client, learner.email, PASSWORD).status_code == 302
    for _ in range(4):
        attempt(client, learner.email, "wrong-password")
    assert attempt(client, learner.email, PASSWORD).status_code == 302


def test_logout_ends_the_session(client, learner) -> None:
    login(client, learner).post("/logout")
    assert client.get("/api/v1/achievements").status_code == 401


def test_cli_creates_lists_and_revokes_tokens(app, client, learner) -> None:
    runner = app.test_cli_runner()
    created = runner.invoke(args=["tokens", "create", "lms", "--scope", "achievements:read"])
    assert created.exit_code == 0, created.output
    plaintext = created.output.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert client.get(f"/api/v1/achievements?user_id={learner.id}",
                      headers=headers).status_code == 200
    listing = runner.invoke(args=["tokens", "list"]).output
    assert "lms" in listing and plaintext not in listing
    token_id = listing.split()[0]
    assert runner.invoke(args=["tokens", "revoke", token_id]).exit_code == 0
    assert client.get(f"/api/v1/achievements?user_id={learner.id}",
                      headers=headers).status_code == 401
