"""Awarding by hand and managing holders in a real browser: find one learner and award;
upload a list with a bad line and see it by number; revoke several holders at once with one
reason; every one of these pages at 1280 and 375 px (no sideways scroll), axe-clean, and
screenshotted."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.conftest import run_axe, screenshot, wait_js
from tests.e2e.test_console import COURSE, enrolled_learner, staff, staff_page
from tests.support.web_server import WebServer

PHONE = {"width": 375, "height": 800}


def published_badge(server: WebServer, title: str) -> str:
    from app.services.accounts.principal import Principal
    from app.services.badges import create_badge, publish_badge

    key = f"hand-{uuid.uuid4().hex[:6]}"
    admin = Principal(kind="admin", id=0, name="setup")
    with server.app.app_context():
        create_badge(admin, {"key": key, "title": title, "description": "Given by hand.",
                             "criteria": {"module_complete": "demo-python-arguments"}})
        publish_badge(admin, key)
    return key


def confirm(page: Any) -> None:
    page.locator("#confirm-ok").click()


def no_sideways_scroll(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_award_one_learner_found_by_search(server: WebServer, new_context: Callable[..., Any],
                                           axe_source: str) -> None:
    learner = enrolled_learner(server)
    key = published_badge(server, "Study group lead")
    console = staff_page(server, staff(server, "instructor"), new_context)
    console.goto(f"/console/badges/{key}/award")
    assert not run_axe(console, axe_source)
    screenshot(console, "console-award-1280")
    console.get_by_label("Email or name").fill(learner["email"])
    console.get_by_role("button", name="Search").click()
    console.get_by_label(learner["email"]).check()
    console.get_by_label("Why they receive it (optional)").fill("Ran the Tuesday study group.")
    console.get_by_role("button", name="Preview").click()
    console.locator("#preview-summary", has_text="1 learner would receive it").wait_for()
    assert not run_axe(console, axe_source)
    screenshot(console, "console-award-preview-1280")
    console.get_by_role("button", name="Award to 1 learner").click()
    dialog = console.locator("#confirm-dialog")
    assert "1 learner will receive “Study group lead”" in dialog.inner_text()
    confirm(console)
    console.locator(".flash", has_text="Awarded to 1 learner.").wait_for()
    row = console.locator("tr", has_text=learner["email"])
    assert "Ran the Tuesday study group." in row.inner_text()
    assert not run_axe(console, axe_source)
    screenshot(console, "console-badge-holders-1280")


def test_a_list_with_a_bad_line_is_shown_by_line_number(
        server: WebServer, new_context: Callable[..., Any], tmp_path: Path,
        axe_source: str) -> None:
    people = [enrolled_learner(server) for _ in range(3)]
    key = published_badge(server, "Peer reviewer")
    listing = tmp_path / "reviewers.csv"
    lines = ["email", people[0]["email"], "not-an-address", people[1]["email"],
             "ghost@example.com", people[2]["email"]]
    listing.write_text("\n".join(lines) + "\n")
    console = staff_page(server, staff(server, "admin"), new_context)
    console.goto(f"/console/badges/{key}/award")
    console.get_by_label("A list of learners (CSV or text)").set_input_files(str(listing))
    console.get_by_role("button", name="Preview").click()
    unknown = console.locator("#unknown")
    unknown.wait_for()
    assert "Line 3" in unknown.inner_text() and "Line 5" in unknown.inner_text()
    assert "3 learners would receive it" in console.locator("#preview-summary").inner_text()
    assert not run_axe(console, axe_source)
    screenshot(console, "console-award-preview-errors-1280")
    console.get_by_role("button", name="Award to 3 learners").click()
    confirm(console)
    console.locator(".flash", has_text="Awarded to 3 learners.").wait_for()


def test_bulk_revoke_with_one_reason(server: WebServer, new_context: Callable[..., Any],
                                     axe_source: str) -> None:
    people = [enrolled_learner(server) for _ in range(3)]
    key = published_badge(server, "Bulk badge")
    from app.services.accounts.principal import Principal
    from app.services.badges.by_hand import Note, awardable, give

    admin = Principal(kind="admin", id=0, name="setup")
    with server.app.app_context():
        give(admin, awardable(admin, key), [p["id"] for p in people], Note("cohort", None, False))
    console = staff_page(server, staff(server, "admin"), new_context)
    console.goto(f"/console/badges/{key}/holders")
    for person in people[:2]:
        console.get_by_label(person["email"]).check()
    console.get_by_label("Reason (required to revoke)").fill("Given to the wrong cohort")
    console.get_by_role("button", name="Revoke chosen").click()
    assert "2 awards will be revoked." in console.locator("#confirm-dialog").inner_text()
    confirm(console)
    console.locator(".flash", has_text="2 awards revoked.").wait_for()
    assert console.locator("tr", has_text="Given to the wrong cohort").count() == 2
    assert "1 learner holds it" in console.locator(".lead").inner_text()
    assert not run_axe(console, axe_source)


def test_the_new_pages_fit_a_phone(server: WebServer, new_context: Callable[..., Any],
                                   axe_source: str) -> None:
    learner = enrolled_learner(server)
    key = published_badge(server, "Phone badge with a rather long title to wrap")
    from app.services.accounts.principal import Principal
    from app.services.badges.by_hand import Note, awardable, give

    admin = Principal(kind="admin", id=0, name="setup")
    with server.app.app_context():
        give(admin, awardable(admin, key), [learner["id"]], Note("a " * 60, None, False))
    person = staff(server, "admin")
    context = new_context(server.url)
    console = context.new_page()
    console.set_viewport_size(PHONE)
    console.goto("/login")
    console.get_by_label("Email").fill(person["email"])
    console.get_by_label("Password").fill(person["password"])
    console.get_by_role("button", name="Log in").click()
    console.wait_for_url("**/")
    pages = {"award": f"/console/badges/{key}/award?q=example.com",
             "badge-holders": f"/console/badges/{key}/holders",
             "learner": f"/console/courses/{COURSE}/learners/{learner['id']}",
             "course-holders": f"/console/courses/{COURSE}/achievements/"
                               f"module_complete:demo-python-variables"}
    wide = {}
    for name, path in pages.items():
        console.goto(path)
        wait_js(console, "document.readyState === 'complete'")
        wide[name] = not no_sideways_scroll(console)
        screenshot(console, f"console-{name}-375")
        assert not run_axe(console, axe_source), name
    assert wide == {name: False for name in pages}


def test_a_job_page_shows_progress_and_fits_a_phone(server: WebServer,
                                                    new_context: Callable[..., Any],
                                                    axe_source: str) -> None:
    """A long award list's page while a worker is half way (the row made as a worker
    leaves it), then finished: progress bar, words, axe-clean at 1280 and 375 px."""
    from app.extensions import db
    from app.models import BadgeJob

    key = published_badge(server, "Cohort badge")
    with server.app.app_context():
        job = BadgeJob(kind="award", badge_key=key, params={}, status="running", done=1500,
                       total=4000, result={"awarded": 1500, "already_held": 0},
                       created_by="admin:0 setup")
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    console = staff_page(server, staff(server, "admin"), new_context)
    console.goto(f"/console/jobs/{job_id}")
    assert "1,500 of 4,000 learners done" in console.locator("#job-status").inner_text()
    assert not run_axe(console, axe_source)
    screenshot(console, "console-job-running-1280")
    with server.app.app_context():
        finished = db.session.get(BadgeJob, job_id)
        finished.status, finished.done = "done", 4000
        finished.result = {"awarded": 3990, "already_held": 10}
        db.session.commit()
    console.locator("#job-result").get_by_text("Awarded to 3,990 learners.").wait_for()
    console.set_viewport_size(PHONE)
    assert no_sideways_scroll(console)
    assert not run_axe(console, axe_source)
    screenshot(console, "console-job-done-375")
