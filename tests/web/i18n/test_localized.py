"""Built-in words in the reader's language over REST, SSE and pages; stored awards keep
English and their metadata; dates, numbers and plurals by CLDR; the settings page."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient

from app.domain.wording import english_words
from app.extensions import db
from app.models import Achievement, User
from app.services.accounts import create_user
from app.services.recording import ProgressInput, record_progress
from app.web.sse import format_event, sse_framing
from tests.support.catalog import build_catalog
from tests.web.conftest import PASSWORD, csrf_token, login, login_with_csrf


def complete(user: User, *modules: str) -> None:
    for module in modules:
        record_progress(ProgressInput(user.id, "module_completed", None, f"{user.id}-{module}",
                                      module=module))


def awards(client: FlaskClient, language: str | None = None) -> list[dict]:
    headers = {"Accept-Language": language} if language else {}
    response = client.get("/api/v1/achievements", headers=headers)
    assert response.status_code == 200, response.data
    return response.get_json()["items"]


def by_key(items: list[dict], key: str) -> dict:
    return next(a for a in items if a["dedupe_key"] == key)


def test_english_words_are_the_stored_texts_as_before() -> None:
    assert english_words("streak", {"days": 7}) == ("7-day streak",
                                                    "You learned on 7 days in a row.")
    assert english_words("milestone", {"counter": "modules", "threshold": 1}) == (
        "1 module completed", "You have completed 1 module.")
    assert english_words("high_score", {"assessment_title": "Quiz", "score": 9.0,
                                        "max_score": 10.0})[1] == "You scored 9 of 10 on Quiz."


def test_rest_follows_accept_language_and_storage_keeps_english(
        client: FlaskClient, catalog: dict, learner: User, bearer: dict) -> None:
    complete(learner, "c1-u1-m1")
    login(client, learner)
    english = by_key(awards(client), "milestone:modules:1")
    assert english["title"] == "1 module completed"
    german = by_key(awards(client, "de-DE,de;q=0.9"), "milestone:modules:1")
    assert german["title"] == "1 Modul abgeschlossen"
    arabic = by_key(awards(client, "ar"), "milestone:modules:1")
    assert arabic["title"] == "وحدة واحدة مكتملة" and arabic["metadata"] == english["metadata"]
    stored = db.session.get(Achievement, english["id"])
    assert stored.title == "1 module completed" and stored.meta["threshold"] == 1
    one = client.get(f"/api/v1/achievements/{english['id']}", headers={"Accept-Language": "es"})
    assert one.get_json()["title"] == "1 módulo completado"


def test_summary_and_types_over_rest(client: FlaskClient, catalog: dict, learner: User) -> None:
    build_catalog("big", units=1, modules=12)  # "10 modules" is a goal only if it can be reached
    complete(learner, "c1-u1-m1")
    login(client, learner)
    summary = client.get("/api/v1/achievements/summary", headers={"Accept-Language": "es"})
    texts = [m["text"] for m in summary.get_json()["next_milestones"]]
    assert "1 de 10 módulos" in texts
    types = client.get("/api/v1/achievement-types", headers={"Accept-Language": "de"}).get_json()
    assert next(t for t in types if t["key"] == "perfect_score")["title"] == "Volle Punktzahl"


def test_saved_preference_wins_over_the_header_for_a_session(
        client: FlaskClient, catalog: dict, learner: User) -> None:
    learner.locale = "es"
    db.session.commit()
    complete(learner, "c1-u1-m1")
    login(client, learner)
    assert by_key(awards(client, "de"), "milestone:modules:1")["title"] == "1 módulo completado"


def test_sse_events_carry_the_stream_language(app: Flask, catalog: dict, learner: User) -> None:
    complete(learner, "c1-u1-m1")
    award = db.session.query(Achievement).filter_by(dedupe_key="milestone:modules:1").one()
    from app.read.shapes import award_as_dict

    frame = sse_framing("de").encode(award_as_dict(award)).decode()
    assert json.loads(frame.split("data: ", 1)[1])["title"] == "1 Modul abgeschlossen"
    assert sse_framing("en").encode(award_as_dict(award)).decode() == format_event(
        award_as_dict(award))


def test_dashboard_in_german_with_dates_numbers_and_plurals(
        client: FlaskClient, catalog: dict, learner: User) -> None:
    build_catalog("big", units=1, modules=12)  # "10 modules" is a goal only if it can be reached
    complete(learner, "c1-u1-m1")
    award = db.session.query(Achievement).filter_by(dedupe_key="milestone:modules:1").one()
    award.earned_at = datetime(2025, 12, 6, 10, 30, tzinfo=UTC)
    db.session.commit()
    login(client, learner)
    page = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="de" dir="ltr">' in page and "Deine Erfolge" in page
    assert "1 Modul abgeschlossen" in page and "6. Dez. 2025, 10:30" in page
    assert "1 von 10 Modulen" in page and "noch 9" in page
    messages = json.loads(re.search(r"data-messages='([^']+)'", page).group(1))
    assert messages["many"] == {"one": "{count} neuer Erfolg", "other": "{count} neue Erfolge"}


def test_today_and_yesterday_are_said(client: FlaskClient, catalog: dict, learner: User) -> None:
    complete(learner, "c1-u1-m1")
    login(client, learner)
    spanish = client.get("/achievements", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Hoy, " in spanish
    award = db.session.query(Achievement).filter_by(dedupe_key="module_complete:c1-u1-m1").one()
    page = client.get(f"/achievements/{award.id}", headers={"Accept-Language": "ar"})
    assert '<html lang="ar" dir="rtl">' in page.get_data(as_text=True)
    assert "اليوم" in page.get_data(as_text=True)


def test_arabic_plural_categories_for_toasts(client: FlaskClient, learner: User) -> None:
    login(client, learner)
    page = client.get("/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    many = json.loads(re.search(r"data-messages='([^']+)'", page).group(1))["many"]
    assert set(many) == {"zero", "one", "two", "few", "many", "other"}
    assert many["two"] == "إنجازان جديدان" and many["few"] == "{count} إنجازات جديدة"


def saved(app: Flask, user_id: int) -> tuple[str | None, str]:
    with app.app_context():
        user = db.session.get(User, user_id)
        return user.locale, user.timezone


def test_settings_page_saves_language_and_zone(csrf_app: Flask) -> None:
    with csrf_app.app_context():
        learner = create_user("settings@example.com", PASSWORD)
        learner_id = learner.id
    client = csrf_app.test_client()
    token = login_with_csrf(client, learner)
    response = client.post("/settings", data={"locale": "de", "timezone": "Europe/Berlin",
                                              "csrf_token": token})
    assert response.status_code == 302
    assert saved(csrf_app, learner_id) == ("de", "Europe/Berlin")
    assert "Deine Einstellungen sind gespeichert." in client.get("/settings").get_data(
        as_text=True)
    forged = client.post("/settings", data={"locale": "es", "timezone": "UTC"})
    assert forged.status_code == 400  # no CSRF token: refused, nothing saved
    token = csrf_token(client)
    bad = client.post("/settings", data={"locale": "xx", "timezone": "UTC", "csrf_token": token})
    zone = client.post("/settings", data={"locale": "", "timezone": "Mars/Base",
                                          "csrf_token": token})
    assert bad.status_code == 400 and zone.status_code == 400
    assert "Zeitzone" in zone.get_data(as_text=True)
    assert saved(csrf_app, learner_id) == ("de", "Europe/Berlin")


def test_cli_users_create_with_locale(app: Flask) -> None:
    runner = app.test_cli_runner()
    made = runner.invoke(args=["users", "create", "es@example.com", "--password",
                               "password123", "--locale", "es"])
    assert made.exit_code == 0, made.output
    assert db.session.query(User).filter_by(email="es@example.com").one().locale == "es"
    refused = runner.invoke(args=["users", "create", "xx@example.com", "--password",
                                  "password123", "--locale", "xx"])
    assert refused.exit_code != 0 and "locale must be one of" in refused.output
    assert db.session.query(User).filter_by(email="xx@example.com").count() == 0
