"""The instructor console as a new instructor meets it in a real browser: every page fits a
phone, shows people's words (titles, names, "Revoked"), asks before publishing or archiving
in an accessible dialog, hints at what an incomplete criterion lacks, explains a refused
image, and axe finds nothing serious in any of those states."""

from __future__ import annotations

import re
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
PHONE = {"width": 375, "height": 740}


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
    page.set_viewport_size(PHONE)
    page.goto(f"/console/badges/{key}")
    page.get_by_role("button", name="Archive").click()
    dialog = page.locator("#confirm-dialog")
    assert "its awards stay" in dialog.inner_text()
    assert dialog.get_by_role("button", name="Archive").evaluate(
        "b => b.classList.contains('button--danger')")
    screenshot(page, "console-confirm-archive-375")
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


# --- b. phones, and every page's screenshots -------------------------------------------------

FITS = """() => ({width: document.documentElement.scrollWidth,
  nav: (() => { const a = [...document.querySelectorAll('.site-nav a')]
      .find(link => link.textContent.trim() === 'Console');
    if (!a) { return null; }
    const box = a.getBoundingClientRect();
    return box.width > 0 && box.left >= 0 && box.right <= window.innerWidth; })(),
  h1: document.querySelectorAll('h1').length})"""


def console_world(server: WebServer) -> dict[str, Any]:
    """An admin, a learner who earned a badge that was then revoked (the audit has
    entries), a draft badge and a published one."""
    learner = enrolled_learner(server)
    server.complete_module(learner["id"], MODULE)
    admin = staff(server, "admin")
    key = draft_badge(server)
    published = draft_badge(server)
    from app.extensions import db
    from app.models import Achievement
    from app.services.accounts import Principal
    from app.services.badges import publish_badge
    from app.services.teaching import revoke_in_course

    acting = Principal.user(admin["id"], "admin", admin["email"])
    with server.app.app_context():
        publish_badge(acting, published)
        award = db.session.query(Achievement).filter_by(
            user_id=learner["id"], dedupe_key=f"badge:{published}").one()
        revoke_in_course(acting, COURSE, award.id, "Earned by mistake")
        db.session.remove()
    return {"learner": learner, "admin": admin, "draft": key, "published": published}


def console_pages(world: dict[str, Any]) -> dict[str, str]:
    learner = world["learner"]["id"]
    return {
        "home": "/console/", "badges": "/console/badges", "new-badge": "/console/badges/new",
        "edit-badge": f"/console/badges/{world['draft']}",
        "published-badge": f"/console/badges/{world['published']}",
        "courses": "/console/courses", "course": f"/console/courses/{COURSE}",
        "holders": f"/console/courses/{COURSE}/achievements/course_complete:{COURSE}",
        "learner": f"/console/courses/{COURSE}/learners/{learner}",
        "audit": "/console/audit", "audit-filtered": "/console/audit?action=award.revoke",
        "award-by-hand": f"/console/badges/{world['published']}/award",
        "badge-holders": f"/console/badges/{world['published']}/holders",
    }


def test_every_console_page_fits_a_phone_passes_axe_and_is_screenshotted(
        server: WebServer, new_context: Callable[..., Any], axe_source: str) -> None:
    world = console_world(server)
    pages = console_pages(world)
    found = {}
    for width, viewport in (("1280", None), ("375", PHONE)):
        page = staff_page(server, world["admin"], new_context)
        if viewport:
            page.set_viewport_size(viewport)
        for name, path in pages.items():
            page.goto(path)
            found[(name, width)] = {**page.evaluate(FITS), "axe": run_axe(page, axe_source)}
            screenshot(page, f"console-{name}-{width}")
    wanted = {(name, width): {"width": found[(name, width)]["width"] if width == "1280"
                              else min(found[(name, width)]["width"], 375),
                              "nav": True, "h1": 1, "axe": []}
              for name, width in found}
    assert found == wanted


def test_learners_pages_fit_a_phone_with_the_whole_navigation(
        server: WebServer, new_context: Callable[..., Any]) -> None:
    person = staff(server, "instructor")  # an instructor sees the longest header
    page = staff_page(server, person, new_context)
    page.set_viewport_size(PHONE)
    found = {}
    for path in ("/", "/achievements", "/learn", "/settings"):
        page.goto(path)
        found[path] = page.evaluate(FITS)
        screenshot(page, "learner-" + (path.strip("/") or "dashboard") + "-375")
    assert {p: (f["width"] <= 375, f["nav"]) for p, f in found.items()} == {
        p: (True, True) for p in found}


# --- e. the builder: hints in words, no errors while typing; a. axe with nested criteria ------


def bid(path: str, suffix: str = "") -> str:
    """The id console.js gives a builder control at a criteria path."""
    return "#b-" + re.sub(r"[^A-Za-z0-9_]+", "-", path) + suffix


def browser_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def test_nested_criteria_hint_in_words_and_pass_axe_then_count(
        server: WebServer, new_context: Callable[..., Any], axe_source: str) -> None:
    page = staff_page(server, staff(server, "admin"), new_context)
    errors = browser_errors(page)
    page.goto("/console/badges/new")
    page.get_by_label("Key").fill(f"nested-{uuid.uuid4().hex[:6]}")
    page.get_by_label("Title").fill("Nested")
    add = page.locator(bid("criteria.all", "-add"))
    add.click()
    page.locator(bid("criteria.all[0]", "-kind")).select_option("any")
    page.locator(bid("criteria.all[0].any", "-add")).click()
    page.locator(bid("criteria.all[0].any", "-add")).click()
    page.locator(bid("criteria.all[0].any[1]", "-kind")).select_option("unit_complete")
    add.click()
    page.locator(bid("criteria.all[1]", "-kind")).select_option("at_least")
    assert hint(page, "criteria.all[1].of") == "Add at least one criterion"
    page.locator(bid("criteria.all[1].of", "-add")).click()
    page.locator(bid("criteria.all[1].of[0]", "-kind")).select_option("score_at_least")
    page.locator(bid("criteria.all[1].at_least")).fill("3")
    assert hint(page, "criteria.all[1].at_least") == \
        "Enter a whole number from 1 to the number of criteria below"
    page.locator(bid("criteria.all[1].at_least")).fill("1")
    assert not page.locator(bid("criteria.all[1].at_least", "-hint")).is_visible()

    assert hint(page, "criteria.all[0].any[0].module_complete") == "Choose a module"
    assert hint(page, "criteria.all[0].any[1].unit_complete") == "Choose a unit"
    assert hint(page, "criteria.all[1].of[0].score_at_least.assessment") == \
        "Choose an assessment"
    assert "Complete the criteria" in page.locator("#would-earn").inner_text()
    remove = page.locator("#builder").get_by_role("button", name="Remove").first
    assert remove.evaluate("b => getComputedStyle(b).color") != \
        remove.evaluate("b => getComputedStyle(b).backgroundColor")
    assert not run_axe(page, axe_source)
    screenshot(page, "console-builder-nested-1280")

    page.locator(bid("criteria.all[0].any[0].module_complete")).select_option(MODULE)
    page.locator(bid("criteria.all[0].any[1].unit_complete")).select_option(index=1)
    page.locator(bid("criteria.all[1].of[0].score_at_least.assessment")).select_option(index=1)
    page.locator("#would-earn", has_text="would earn this now").wait_for()
    assert page.locator("#builder .field-hint:visible").count() == 0
    page.locator(bid("criteria.all[0].any[1]", "-kind")).locator("..").locator("..") \
        .get_by_role("button", name="Remove").click()
    assert focused_id(page) == bid("criteria.all[0].any", "-add")[1:]
    assert '"unit_complete"' not in page.locator("#criteria").input_value()
    assert errors == []


def hint(page: Any, path: str) -> str:
    return page.locator(bid(path, "-hint")).inner_text()


def test_a_criterion_the_server_refuses_hints_at_its_field_without_browser_errors(
        server: WebServer, new_context: Callable[..., Any], axe_source: str) -> None:
    page = staff_page(server, staff(server, "instructor"), new_context)
    errors = browser_errors(page)
    page.goto("/console/badges/new")
    page.get_by_text("Criteria as JSON (advanced)").click()
    page.get_by_label("Criteria as JSON", exact=True).fill(
        '{"any": [{"module_complete": "no-such-module"}, {"streak_days": 3}]}')
    page.get_by_label("Criteria as JSON", exact=True).dispatch_event("change")
    page.locator(bid("criteria.any[0].module_complete", "-hint"),
                 has_text="Choose a module").wait_for()
    assert page.locator(bid("criteria.any[0].module_complete")).get_attribute(
        "aria-invalid") == "true"
    assert "criteria.any" not in page.locator("#would-earn").inner_text()
    assert not run_axe(page, axe_source)
    screenshot(page, "console-builder-preview-error-1280")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "console-builder-preview-error-375")
    assert errors == []


# --- f. refused images -----------------------------------------------------------------------


def svg_of(size: int) -> bytes:
    head = b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" ' \
        b'cy="32" r="30" fill="#0f766e"/><!--'
    return head + b"x" * (size - len(head) - 9) + b"--></svg>"


def test_a_refused_image_says_its_size_keeps_the_badge_image_and_passes_axe(
        server: WebServer, new_context: Callable[..., Any], axe_source: str) -> None:
    key = draft_badge(server)
    page = staff_page(server, staff(server, "admin"), new_context)
    page.goto(f"/console/badges/{key}")
    art = page.locator("#art-preview").evaluate("img => img.src")
    page.locator("#upload").set_input_files(
        files=[{"name": "big.svg", "mimeType": "image/svg+xml", "buffer": svg_of(412 * 1024)}])
    problem = page.locator("#upload-problem")
    assert problem.inner_text() == ("The image is 412 KB; the limit is 256 KB. Choose another "
                                    "file; the badge keeps its current image.")
    assert page.locator("#upload").input_value() == ""
    assert page.locator("#art-preview").evaluate("img => img.src") == art
    assert not run_axe(page, axe_source)
    screenshot(page, "console-upload-too-big-1280")
    page.locator("#upload").set_input_files(
        files=[{"name": "party.gif", "mimeType": "image/gif", "buffer": b"GIF89a" + b"0" * 64}])
    assert problem.inner_text().startswith("“party.gif” is not a PNG or SVG image.")


def test_the_server_refuses_an_image_with_its_size_and_keeps_the_form(
        server: WebServer, new_context: Callable[..., Any], axe_source: str) -> None:
    key = draft_badge(server)
    page = staff_page(server, staff(server, "admin"), new_context)
    page.goto(f"/console/badges/{key}")
    page.locator("#upload").evaluate("input => input.removeAttribute('data-max-bytes')")
    page.get_by_label("Title").fill("Typed title")
    page.locator("#upload").set_input_files(
        files=[{"name": "big.svg", "mimeType": "image/svg+xml", "buffer": svg_of(300 * 1024)}])
    page.get_by_role("button", name="Save as a new version").click()
    page.locator("#form-errors").wait_for()
    page.wait_for_load_state("load")  # its stylesheet applied before axe measures
    assert "The image is 300 KB; the limit is 256 KB." in page.locator("#form-errors").inner_text()
    assert page.get_by_label("Title").input_value() == "Typed title"
    assert "keeps its current image" in page.locator("#upload-problem").inner_text()
    assert not run_axe(page, axe_source)
    screenshot(page, "console-upload-refused-1280")

    page.locator("#upload").evaluate("input => input.removeAttribute('data-max-bytes')")
    page.locator("#upload").set_input_files(
        files=[{"name": "huge.svg", "mimeType": "image/svg+xml", "buffer": svg_of(5 << 20)}])
    page.get_by_role("button", name="Save as a new version").click()
    page.locator("#form-errors", has_text="The upload is 5.0 MB").wait_for()
    page.wait_for_load_state("load")
    screenshot(page, "console-upload-too-large-body-1280")
    assert page.get_by_label("Title").input_value() == f"Badge {key}"  # as stored
    assert not run_axe(page, axe_source)


def test_a_refusal_is_a_console_page_that_fits_a_phone(server: WebServer,
                                                       new_context: Callable[..., Any],
                                                       axe_source: str) -> None:
    page = staff_page(server, staff(server, "instructor"), new_context)
    page.set_viewport_size(PHONE)
    assert page.goto("/console/audit").status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Not allowed"
    assert page.evaluate(FITS) == {"width": 375, "nav": True, "h1": 1}
    assert not run_axe(page, axe_source)
    screenshot(page, "console-error-375")
