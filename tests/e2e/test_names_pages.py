"""Names and the small things in a real browser (issue 27.5, 27.6): the learner names
themselves in Settings, the public badge page says "Issued to <name>" to a logged-out
visitor in their language (Arabic too), the empty quiz, the log-in notice and the 404,
at 1280 and 375 px, axe-clean, screenshotted."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import run_axe, screenshot, wait_live

pytestmark = pytest.mark.e2e


def at_both_widths(page: Any, name: str) -> None:
    """Pictures at 1280 and 375 px; nothing scrolls sideways on the phone."""
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= 375"), name
    screenshot(page, f"{name}-375")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_named_learner_on_their_shared_badge_page(server: Any, learner: dict[str, Any],
                                                    logged_in: Any, new_context: Any,
                                                    axe_source: str) -> None:
    page = logged_in
    page.goto("/settings")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_role("button", name="Save settings").click()
    page.locator(".flash", has_text="saved").wait_for()
    assert page.get_by_label("Your name").input_value() == "Ada Lovelace"
    assert run_axe(page, axe_source) == []
    at_both_widths(page, "settings-name")

    server.complete_module(learner["id"], "demo-python-variables")
    page.goto("/achievements?type=module_complete")
    page.locator("#history-list .award-card a").first.click()
    page.get_by_role("button", name="Share this badge").click()
    public = page.get_by_role("link", name="Public badge page").get_attribute("href")

    visitor = new_context(server.url).new_page()
    visitor.goto(urlsplit(public).path)
    issued = visitor.locator("#issued-to")
    assert issued.inner_text() == "Issued to Ada Lovelace"
    body = visitor.locator("main").inner_text()
    assert learner["email"] not in visitor.content() and "You completed" not in body
    assert run_axe(visitor, axe_source) == []
    at_both_widths(visitor, "public-badge-named")

    arabic = new_context(server.url, locale="ar").new_page()
    arabic.set_extra_http_headers({"Accept-Language": "ar"})
    arabic.goto(urlsplit(public).path)
    assert arabic.locator("html").get_attribute("dir") == "rtl"
    assert "Ada Lovelace" in arabic.locator("#issued-to").inner_text()
    assert "Module complete" not in arabic.get_by_role("heading", level=1).inner_text()
    at_both_widths(arabic, "public-badge-named-ar")


def test_an_empty_quiz_is_refused_in_words(logged_in: Any, axe_source: str) -> None:
    page = logged_in
    page.goto("/learn/quiz/demo-python-final")
    wait_live(page)
    page.get_by_role("button", name="Submit answers").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Choose an answer" in alert.inner_text()
    assert page.locator("#result-heading").count() == 0  # no "You scored 0"
    assert run_axe(page, axe_source) == []
    at_both_widths(page, "quiz-empty")


def test_log_in_notice_and_a_logged_out_404(server: Any, new_context: Any,
                                            axe_source: str) -> None:
    page = new_context(server.url).new_page()
    page.goto("/achievements")
    notice = page.locator(".flash--info")
    assert "Please log in" in notice.inner_text()
    colour = notice.evaluate("n => getComputedStyle(n).backgroundColor")
    assert colour == "rgb(239, 246, 255)"  # information blue, not the success green
    assert run_axe(page, axe_source) == []
    at_both_widths(page, "login-info")
    reply = page.goto("/badges/00000000-0000-4000-8000-000000000000")
    assert reply.status == 404
    assert "dashboard" not in page.locator("main").inner_text().lower()
    at_both_widths(page, "not-found-logged-out")
