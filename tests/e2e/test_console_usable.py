"""The instructor console as a new instructor meets it in a real browser: every page fits a
phone, shows people's words (titles, names, "Revoked"), asks before publishing or archiving
in an accessible dialog, hints at what an incomplete criterion lacks, explains a refused
image, and axe finds nothing serious in any of those states."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tests.e2e.conftest import run_axe, screenshot
from tests.e2e.test_console import (
    COURSE,
    completed_by,
    enrolled_learner,
    staff,
    staff_page,
)
from tests.support.web_server import WebServer

MODULE = "demo-python-variables"


def draft_badge(server: WebServer, criteria: dict[str, Any] | None = None) -> str:
    """A draft badge of the demo course, made by the service as the console would."""
    from app.services.accounts import Principal
    from app.services.badges import create_badge

    key = f"usable-{uuid.uuid4().hex[:6]}"
    body = {"key": key, "title": f"Badge {key}", "description": "For the test",
            "criteria": criteria or {"all": [{"module_complete": MODULE}]}}
    with server.app.app_context():
        create_badge(Principal(kind="admin", id=0, name="setup"), body)
    return key


def badge_status(server: WebServer, key: str) -> str:
    from app.extensions import db
    from app.services.accounts import Principal
    from app.services.badges import get_badge

    with server.app.app_context():
        status = get_badge(Principal(kind="admin", id=0, name="setup"), key).status
        db.session.remove()
        return status


def learners(n: int) -> str:
    return f"{n} learner{'' if n == 1 else 's'}"


def focused_id(page: Any) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


# --- d. confirmation dialogs ---------------------------------------------------------------


def test_publishing_asks_first_with_the_count_cancel_does_nothing_confirm_publishes(
        server: WebServer, new_context: Callable[..., Any], axe_source: str) -> None:
    learner = enrolled_learner(server)
    server.complete_module(learner["id"], MODULE)
    key = draft_badge(server)
    page = staff_page(server, staff(server, "instructor"), new_context)
    page.goto(f"/console/badges/{key}")
    dialog = page.locator("#confirm-dialog")

    page.get_by_role("button", name="Publish version 1").click()
    assert dialog.is_visible()
    assert focused_id(page) == "confirm-cancel"
    earners = completed_by(server, MODULE)
    dialog.get_by_text(f"{learners(earners)} will earn this now.").wait_for()
    assert dialog.get_by_role("heading").inner_text().startswith("Publish version 1")
    assert not run_axe(page, axe_source)
    screenshot(page, "console-confirm-publish")
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert focused_id(page) == "publish-badge"

    page.get_by_role("button", name="Publish version 1").click()
    dialog.get_by_role("button", name="Cancel").click()
    assert not dialog.is_visible() and badge_status(server, key) == "draft"

    page.get_by_role("button", name="Publish version 1").click()
    dialog.get_by_role("button", name="Publish", exact=True).click()
    page.locator(".flash", has_text="Published version 1").wait_for()
    assert badge_status(server, key) == "published"


def test_archiving_asks_first_and_says_what_stays(server: WebServer,
                                                  new_context: Callable[..., Any]) -> None:
    key = draft_badge(server)
    page = staff_page(server, staff(server, "admin"), new_context)
    page.goto(f"/console/badges/{key}")
    page.get_by_role("button", name="Archive").click()
    dialog = page.locator("#confirm-dialog")
    assert "its awards stay" in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    assert badge_status(server, key) == "draft"
    page.get_by_role("button", name="Archive").click()
    dialog.get_by_role("button", name="Archive").click()
    page.locator(".flash", has_text="Archived").wait_for()
    assert badge_status(server, key) == "archived"


def test_without_javascript_publishing_still_posts(server: WebServer,
                                                   new_context: Callable[..., Any]) -> None:
    key = draft_badge(server)
    person = staff(server, "admin")
    page = new_context(server.url, java_script_enabled=False).new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(person["email"])
    page.get_by_label("Password").fill(person["password"])
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/console/badges/{key}")
    page.get_by_role("button", name="Publish version 1").click()
    page.locator(".flash", has_text="Published version 1").wait_for()
    assert badge_status(server, key) == "published"
