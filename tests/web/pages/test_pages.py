"""Learner pages through the Flask test client: filters, ownership, server-side grading."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.domain.registry import AwardDue
from app.extensions import db
from app.models import Achievement, AssessmentAttempt, ProgressEvent
from app.services.awarding.awards import insert_awards
from app.services.catalog import import_catalog
from app.web.pages.quiz import DEMO_FILE, grade, quiz_for

ANSWERS = {"q1": "1", "q2": "1", "q3": "2", "q4": "1", "q5": "2"}


@pytest.fixture
def demo(app) -> None:  # type: ignore[no-untyped-def]
    import_catalog(json.loads(DEMO_FILE.read_text()))


def logged_in(client: FlaskClient, user) -> FlaskClient:  # type: ignore[no-untyped-def]
    response = client.post("/login", data={"email": user.email, "password": "password123"})
    assert response.status_code == 302
    return client


def award(user_id: int, kind: str, key: str) -> Achievement:
    [stored] = insert_awards(user_id, [AwardDue(kind, key, f"Title {key}", "d", {})],
                             source_event_id=None)
    db.session.commit()
    return stored


def test_every_page_renders_for_a_learner(client, learner, demo) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, learner)
    stored = award(learner.id, "module_complete", "module_complete:demo-python-variables")
    for url in ["/", "/achievements", f"/achievements/{stored.id}", "/learn",
                "/learn/demo-python", "/learn/quiz/demo-python-final"]:
        assert client.get(url).status_code == 200, url


def test_history_filters_by_type(client, learner) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, learner)
    award(learner.id, "module_complete", "module_complete:m1")
    award(learner.id, "milestone", "milestone:modules:1")
    page = client.get("/achievements?type=milestone").get_data(as_text=True)
    assert 'data-type="milestone"' in page
    assert 'data-type="module_complete"' not in page


def test_history_pages_with_a_cursor_link(client, learner) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, learner)
    for n in range(12):
        award(learner.id, "module_complete", f"module_complete:m{n}")
    first = client.get("/achievements").get_data(as_text=True)
    assert first.count("award-card\"") == 10
    older = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert second.count("award-card\"") == 2


def test_bad_filters_are_reported_not_fatal(client, learner) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, learner)
    response = client.get("/achievements?type=nope&from=yesterday&cursor=%%%")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose one of the listed types." in page
    assert "Enter a date as YYYY-MM-DD." in page


def test_another_learners_badge_is_not_found(client, learner, make_user) -> None:  # type: ignore[no-untyped-def]
    other = make_user()
    theirs = award(other.id, "module_complete", "module_complete:m1")
    logged_in(client, learner)
    assert client.get(f"/achievements/{theirs.id}").status_code == 404
    assert client.get(f"/achievements/{theirs.id}/card").status_code == 404


def test_quiz_is_graded_on_the_server(client, learner, demo) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, learner)
    answers = {**ANSWERS, "q5": "0", "score": "5"}  # one wrong; a forged score is ignored
    response = client.post("/learn/quiz/demo-python-final", data=answers)
    assert response.status_code == 302
    attempt = db.session.scalar(select(AssessmentAttempt))
    assert attempt is not None and attempt.score == 4
    event = db.session.scalar(select(ProgressEvent).where(
        ProgressEvent.kind == "assessment_scored"))
    assert event is not None and event.source == "web"
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You scored 4 of 5" in result


def test_completing_a_module_answers_json_to_scripts(client, learner, demo) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, learner)
    response = client.post("/modules/demo-python-variables/complete",
                           headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.get_json()["module"] == "demo-python-variables"
    keys = set(db.session.scalars(select(Achievement.dedupe_key)))
    assert "module_complete:demo-python-variables" in keys


def test_a_double_submitted_form_is_one_event(client, learner, demo) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, learner)
    form = {"request_id": "a" * 32}
    client.post("/modules/demo-python-variables/complete", data=form)
    client.post("/modules/demo-python-variables/complete", data=form)
    assert len(db.session.scalars(select(ProgressEvent)).all()) == 1


def test_grade_scales_correct_answers_to_max_score() -> None:
    questions = quiz_for("demo-python-final")
    assert questions is not None
    assert grade(questions, ANSWERS, 5).score == 5
    assert grade(questions, {}, 10).score == 0


def test_milestones_fragment_follows_progress(client, learner, demo) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, learner)
    before = client.get("/dashboard/milestones").get_data(as_text=True)
    assert "0 of 1 module" in before
    client.post("/modules/demo-python-variables/complete",
                headers={"Accept": "application/json"})
    after = client.get("/dashboard/milestones").get_data(as_text=True)
    assert "streak 1 of 3 days" in after and "0 of 1 module" not in after
    assert "10 modules" not in after  # the demo course has 5: not a goal (issue 27.6)
