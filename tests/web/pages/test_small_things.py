"""Small things found on the way (issue 27.6), one test each: an empty quiz is refused,
"Please log in" is information, a logged-out visitor's 404 offers no dashboard."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import AssessmentAttempt, ProgressEvent
from app.web.pages.quiz import answered, quiz_for
from tests.web.pages.test_pages import demo, logged_in  # noqa: F401 (fixture)


def test_an_empty_quiz_submission_is_refused_with_a_message(client, learner, demo) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    logged_in(client, learner)
    response = client.post("/learn/quiz/demo-python-final", data={})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'role="alert"' in page and "Choose an answer to at least one question" in page
    assert db.session.scalar(select(func.count()).select_from(AssessmentAttempt)) == 0
    assert db.session.scalar(select(func.count()).select_from(ProgressEvent)) == 0


def test_one_answer_is_enough_to_be_graded() -> None:
    questions = quiz_for("demo-python-final")
    assert questions is not None
    assert not answered(questions, {"q1": ""}) and answered(questions, {"q3": "0"})


def test_please_log_in_is_information_not_success(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/achievements", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert '<div class="flash flash--info"><p>Please log in to see this page.</p></div>' in page


def test_a_logged_out_visitors_404_offers_no_dashboard(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/badges/00000000-0000-4000-8000-000000000000").get_data(as_text=True)
    assert "dashboard" not in page.lower() and 'href="/login"' in page


def test_a_learners_404_still_leads_back_to_their_dashboard(client, learner) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, learner)
    response = client.get("/achievements/999999")
    assert response.status_code == 404
    assert "Back to your dashboard" in response.get_data(as_text=True)
