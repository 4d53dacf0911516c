"""The app's cookie sessions: Flask's, with the no-cookie case answered without signing work."""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSession

from app.web import CookieSessions


def test_a_request_without_the_cookie_gets_an_empty_session(app: Flask) -> None:
    assert isinstance(app.session_interface, CookieSessions)
    with app.test_request_context("/api/v1/achievements"):
        opened = app.session_interface.open_session(app, app.request_class({}))
    assert isinstance(opened, SecureCookieSession) and dict(opened) == {}


def test_a_signed_cookie_still_opens_its_session(app: Flask) -> None:
    client = app.test_client()
    with client.session_transaction() as session:
        session["probe"] = "kept"
    with client.session_transaction() as session:
        assert session["probe"] == "kept"


def test_without_a_secret_key_there_is_no_session(app: Flask) -> None:
    app.secret_key = None
    assert app.session_interface.open_session(app, app.request_class({})) is None
