"""Sharing in a real browser: the Share panel, then the public badge page logged out (axe)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import run_axe, screenshot

pytestmark = pytest.mark.e2e


def test_share_then_the_public_page_logged_out(server: Any, learner: dict[str, Any],
                                               logged_in: Any, new_context: Any,
                                               axe_source: str) -> None:
    server.complete_module(learner["id"], "demo-python-variables")
    page = logged_in
    page.goto("/achievements?type=module_complete")
    page.locator("#history-list .award-card a").first.click()
    page.get_by_role("button", name="Share this badge").click()
    page.get_by_role("button", name="Stop sharing").wait_for()
    assert run_axe(page, axe_source) == []
    public = page.get_by_role("link", name="Public badge page").get_attribute("href")

    visitor = new_context(server.url).new_page()  # nobody logged in
    reply = visitor.goto(urlsplit(public).path)
    assert reply.status == 200, (public, reply.status)
    assert visitor.get_by_role("heading", level=1).inner_text().startswith("Module complete")
    assert visitor.get_by_text("Verified: issued by").is_visible()
    linkedin = visitor.get_by_role("link", name="Add to LinkedIn profile")
    assert linkedin.get_attribute("href").startswith("https://www.linkedin.com/profile/add?")
    assert visitor.get_by_role("link", name="Download baked badge").is_visible()
    assert visitor.locator('meta[property="og:title"]').get_attribute("content")
    assert run_axe(visitor, axe_source) == []
    screenshot(visitor, "public-badge")

    page.get_by_role("button", name="Stop sharing").click()
    page.get_by_role("button", name="Share this badge").wait_for()
    assert visitor.goto(urlsplit(public).path).status == 404
