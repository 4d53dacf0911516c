"""Which language a page speaks: saved preference, else Accept-Language, else English."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from app.models import User
from app.services.accounts import create_user, set_preferences
from app.web.i18n import select_locale
from tests.web.conftest import login


def html_tag(client: FlaskClient, **headers: str) -> str:
    page = client.get("/", headers=headers).get_data(as_text=True)
    return page[page.index("<html"):page.index(">", page.index("<html")) + 1]


def test_english_without_preference_or_header(client: FlaskClient, learner: User) -> None:
    assert html_tag(login(client, learner)) == '<html lang="en" dir="ltr">'


def test_accept_language_picks_the_best_shipped_catalog(client: FlaskClient,
                                                         learner: User) -> None:
    login(client, learner)
    assert 'lang="de"' in html_tag(client, **{"Accept-Language": "fr;q=1, de-AT;q=0.8"})
    assert html_tag(client, **{"Accept-Language": "ar-EG"}) == '<html lang="ar" dir="rtl">'
    assert 'lang="en"' in html_tag(client, **{"Accept-Language": "fr, ja"})


def test_saved_preference_beats_the_header(client: FlaskClient, learner: User) -> None:
    set_preferences(learner, "es", "Europe/Madrid")
    login(client, learner)
    assert html_tag(client, **{"Accept-Language": "de"}) == '<html lang="es" dir="ltr">'


def test_login_page_follows_the_header(client: FlaskClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page


def test_outside_a_request_english(app: Flask) -> None:
    assert select_locale() == "en"


def test_create_user_with_locale(app: Flask) -> None:
    assert create_user("a@example.com", "password123", locale="de").locale == "de"
    assert create_user("b@example.com", "password123").locale is None


def test_answers_say_their_language_and_that_it_varies(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert response.headers["Content-Language"] == "de"
    assert "Accept-Language" in response.headers["Vary"]
