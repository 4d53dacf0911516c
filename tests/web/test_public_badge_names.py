"""Names (issue 27.5): a learner's display name (``users create --name``, Settings, REST),
and the public badge page that names the recipient by it ("Issued to …", never the
email), speaks to the visitor in the third person and in their language (built-in words
only: an author's text stays as written)."""

from __future__ import annotations

import pytest

from app.cli import users_create
from app.domain.registry import AwardDue
from app.errors import InvalidInput
from app.extensions import db
from app.models import Achievement, User
from app.services.accounts.users import validate_display_name
from app.services.awarding.awards import insert_awards

VARIABLES = {"module_key": "c1-u1-m1", "module_title": "Variables", "course_title": "Python",
             "unit_title": "Basics"}


def shared_award(user: User, due: AwardDue) -> str:
    [stored] = insert_awards(user.id, [due], source_event_id=None)
    row = db.session.get(Achievement, stored.id)
    row.public = True
    db.session.commit()
    return row.public_id


def module_award(user: User) -> str:
    return shared_award(user, AwardDue("module_complete", "module_complete:c1-u1-m1",
                                       "Module complete: Variables", "You completed Variables.",
                                       VARIABLES))


@pytest.fixture
def ada(make_user) -> User:  # type: ignore[no-untyped-def]
    user = make_user(email="ada@example.com")
    user.display_name = "Ada Lovelace"
    db.session.commit()
    return user


def test_the_public_page_says_whom_it_was_issued_to_never_the_email(client, ada) -> None:
    page = client.get(f"/badges/{module_award(ada)}").get_data(as_text=True)
    assert "Issued to <strong><bdi>Ada Lovelace</bdi></strong>" in page
    assert "ada@example.com" not in page


def test_an_unnamed_learner_is_not_named_at_all(client, make_user) -> None:
    anon = make_user(email="anon@example.com")
    page = client.get(f"/badges/{module_award(anon)}").get_data(as_text=True)
    assert "Issued to" not in page and "anon@example.com" not in page


def test_the_public_page_speaks_in_the_third_person(client, ada) -> None:
    page = client.get(f"/badges/{module_award(ada)}").get_data(as_text=True)
    assert "You completed" not in page and "Completed the module Variables." in page


def test_built_in_words_follow_the_visitors_language(client, ada) -> None:
    public_id = module_award(ada)
    page = client.get(f"/badges/{public_id}", headers={"Accept-Language": "es"}).get_data(
        as_text=True)
    assert "<h1>Módulo completado: Variables</h1>" in page
    assert "Terminaste todas las partes de un módulo." in page  # the criteria, in Spanish
    assert "Module complete: Variables" not in page


def test_a_streak_badge_page_counts_its_days(client, ada) -> None:
    public_id = shared_award(ada, AwardDue("streak", "streak:7", "7-day streak",
                                           "You learned on 7 days in a row.", {"days": 7}))
    page = client.get(f"/badges/{public_id}").get_data(as_text=True)
    assert "Learned on 7 days in a row." in page
    assert "Learn on 7 consecutive days, counted in the learner&#39;s own time zone." in page


def test_an_authors_badge_text_stays_as_written(client, ada) -> None:
    public_id = shared_award(ada, AwardDue("badge", "badge:kind", "Kind reviewer",
                                           "Reviewed five classmates' work kindly.",
                                           {"badge": "kind"}))
    page = client.get(f"/badges/{public_id}", headers={"Accept-Language": "de"}).get_data(
        as_text=True)
    assert "<h1>Kind reviewer</h1>" in page and "Reviewed five classmates&#39; work kindly." in page


def test_users_create_takes_a_name(app) -> None:
    result = app.test_cli_runner().invoke(users_create, [
        "grace@example.com", "--password", "secret123", "--name", "  Grace   Hopper "])
    assert result.exit_code == 0, result.output
    user = db.session.get(User, int(result.output.strip().splitlines()[-1]))
    assert user.display_name == "Grace Hopper"


def test_a_name_is_trimmed_and_bounded() -> None:
    assert validate_display_name("   ") is None
    assert validate_display_name("Ada\tLovelace") == "Ada Lovelace"
    with pytest.raises(InvalidInput):
        validate_display_name("x" * 121)
    with pytest.raises(InvalidInput):
        validate_display_name("Ada\x7f")


def test_settings_saves_and_clears_the_name(as_user, ada) -> None:
    web = as_user(ada)
    form = web.get("/settings").get_data(as_text=True)
    assert 'value="Ada Lovelace"' in form
    web.post("/settings", data={"display_name": "Ada King", "locale": "", "timezone": "UTC"})
    db.session.expire_all()
    assert db.session.get(User, ada.id).display_name == "Ada King"
    web.post("/settings", data={"display_name": "", "locale": "", "timezone": "UTC"})
    db.session.expire_all()
    assert db.session.get(User, ada.id).display_name is None


def test_settings_refuses_a_name_too_long(as_user, ada) -> None:
    response = as_user(ada).post("/settings", data={"display_name": "x" * 200, "locale": "",
                                                   "timezone": "UTC"})
    assert response.status_code == 400


def test_rest_users_me_and_by_id_carry_the_display_name(as_user, ada, make_user,
                                                        token_headers, client) -> None:
    web = as_user(ada)
    assert web.get("/api/v1/users/me").get_json()["display_name"] == "Ada Lovelace"
    other = make_user()
    assert web.get(f"/api/v1/users/{other.id}").status_code == 404  # not hers to read
    reader = client.get(f"/api/v1/users/{ada.id}", headers=token_headers("achievements:read"))
    assert reader.get_json() == {"id": ada.id, "email": "ada@example.com",
                                 "display_name": "Ada Lovelace", "role": "learner",
                                 "timezone": "UTC", "locale": None}
