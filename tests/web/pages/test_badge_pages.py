"""Author-defined badges on the learner's pages: earned ones like the built-ins, hidden ones
a mystery until earned, count and streak badges as next milestones; the dashboard's
"Continue learning" card follows a completion."""

from __future__ import annotations

from datetime import UTC, datetime

from app.services.accounts.principal import Principal
from app.services.badges import create_badge, publish_badge
from tests.services.awarding.conftest import record
from tests.web.pages.test_pages import logged_in

ADMIN = Principal(kind="admin", id=0, name="admin@example.com")
WHEN = datetime(2024, 5, 1, 12, tzinfo=UTC)


def publish(key: str, criteria: dict, **extra) -> None:
    create_badge(ADMIN, {"key": key, "title": f"Title of {key}", "description": f"About {key}",
                         "criteria": criteria, **extra})
    publish_badge(ADMIN, key)


def test_a_hidden_badge_is_a_mystery_until_earned(client, catalog, learner) -> None:
    publish("secret", {"module_complete": "c1-u1-m2"}, hidden=True)
    page = logged_in(client, learner).get("/").get_data(as_text=True)
    assert "Hidden badge" in page and "Title of secret" not in page
    record(learner, "module_completed", WHEN, module="c1-u1-m2")
    page = client.get("/").get_data(as_text=True)
    assert "Title of secret" in page and "Hidden badge" not in page


def test_a_count_badge_shows_progress_among_next_milestones(client, catalog, learner) -> None:
    publish("two", {"modules_completed": 2, "course": "c1"})
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    fragment = logged_in(client, learner).get("/dashboard/milestones").get_data(as_text=True)
    assert "Title of two" in fragment and "1 of 2 modules" in fragment


def test_earned_badges_are_listed_and_filterable(client, catalog, learner) -> None:
    publish("first", {"module_complete": "c1-u1-m1"})
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    logged_in(client, learner)
    assert "Title of first" in client.get("/").get_data(as_text=True)
    listed = client.get("/achievements?type=badge").get_data(as_text=True)
    assert "Title of first" in listed and "Module complete: Module 1.1" not in listed
    api = client.get("/api/v1/achievements?type=badge").get_json()["items"]
    assert [a["dedupe_key"] for a in api] == ["badge:first"]
    assert api[0]["badge_url"].endswith("/badge.svg")


def test_the_continue_card_moves_on_after_a_completion(client, catalog, learner) -> None:
    logged_in(client, learner)
    before = client.get("/dashboard/continue").get_data(as_text=True)
    assert "0 of 2 modules complete" in before and "Module 1.1" in before
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    after = client.get("/dashboard/continue").get_data(as_text=True)
    assert "1 of 2 modules complete" in after and "Up next: <strong>Module 1.2" in after
