"""The instructor console in a real browser, under the pages' CSP: build a badge with the
builder, see how many learners would earn it, publish it and watch the learner's toast;
revoke it and see it leave the learner's dashboard; axe on every console page."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tests.e2e.conftest import log_in, run_axe, wait_live
from tests.support.services import PASSWORD
from tests.support.web_server import WebServer

COURSE = "demo-python"
TOAST_SELECTOR = "#toasts .toast"


def staff(server: WebServer, role: str) -> dict[str, Any]:
    from app.extensions import db
    from app.services.accounts import create_user, enroll

    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    with server.app.app_context():
        user = create_user(email, PASSWORD, role, "UTC")
        db.session.commit()
        if role == "instructor":
            enroll(user.id, COURSE, "instructor")
        return {"id": user.id, "email": email, "password": PASSWORD}


def enrolled_learner(server: WebServer) -> dict[str, Any]:
    from app.services.accounts import enroll

    learner = server.new_learner()
    with server.app.app_context():
        enroll(learner["id"], COURSE, "learner")
    return learner


def completed_by(server: WebServer, module: str) -> int:
    """Learners of the shared server who completed ``module`` (earlier tests add some)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Module, ModuleCompletion

    with server.app.app_context():
        query = (select(func.count()).select_from(ModuleCompletion)
                 .join(Module, Module.id == ModuleCompletion.module_id).where(Module.key == module))
        count = int(db.session.scalar(query) or 0)
        db.session.remove()
        return count


def staff_page(server: WebServer, person: dict[str, Any], new_context: Callable[..., Any]
               ) -> Any:
    page = new_context(server.url).new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(person["email"])
    page.get_by_label("Password").fill(person["password"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    return page


def test_build_preview_publish_toast_then_revoke(server: WebServer,
                                                 new_context: Callable[..., Any],
                                                 axe_source: str) -> None:
    learner = enrolled_learner(server)
    server.complete_module(learner["id"], "demo-python-variables")
    teacher = staff(server, "instructor")
    console = staff_page(server, teacher, new_context)
    errors: list[str] = []
    console.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    key = f"first-{uuid.uuid4().hex[:6]}"
    console.goto("/console/badges/new")
    console.get_by_label("Key").fill(key)
    console.get_by_label("Title").fill("Variables mastered")
    console.get_by_role("button", name="Add a criterion").click()
    console.locator("#builder").get_by_label("Module", exact=True).select_option(
        "demo-python-variables")
    console.locator("#would-earn", has_text="would earn this now").wait_for(timeout=10_000)
    earners = completed_by(server, "demo-python-variables")  # the server is shared by tests
    assert console.locator("#would-earn").inner_text().startswith(
        f"{earners} learner{'s' if earners != 1 else ''} would")
    assert '"demo-python-variables"' in console.locator("#criteria").input_value()
    assert not run_axe(console, axe_source)
    console.get_by_role("button", name="Save draft").click()
    console.wait_for_url(f"**/console/badges/{key}")

    learner_page = log_in(new_context(server.url).new_page(), learner)
    learner_page.goto("/achievements")
    wait_live(learner_page)
    console.get_by_label("Celebrate live").check()
    console.get_by_role("button", name="Publish version 1").click()
    console.locator("#confirm-dialog").get_by_role("button", name="Publish").click()
    toast = learner_page.locator(TOAST_SELECTOR, has_text="Variables mastered")
    toast.wait_for(state="visible", timeout=10_000)

    console.goto(f"/console/courses/{COURSE}/learners/{learner['id']}")
    console.get_by_label("Variables mastered").check()
    console.get_by_label("Reason (required to revoke)").fill("Awarded by mistake")
    console.get_by_role("button", name="Revoke chosen").click()
    console.locator("#confirm-ok").click()
    console.locator("tr", has_text="Variables mastered").get_by_text(
        "Revoked", exact=True).wait_for()
    learner_page.goto("/")
    assert "Variables mastered" not in learner_page.locator("#achievement-list").inner_text()
    assert not [e for e in errors if "Content Security Policy" in e]


def test_axe_finds_nothing_serious_on_any_console_page(server: WebServer,
                                                        new_context: Callable[..., Any],
                                                        axe_source: str) -> None:
    learner = enrolled_learner(server)
    server.complete_module(learner["id"], "demo-python-variables")
    admin = staff_page(server, staff(server, "admin"), new_context)
    admin.goto("/console/badges/new")
    admin.get_by_label("Key").fill(f"axe-{uuid.uuid4().hex[:6]}")
    admin.get_by_label("Title").fill("Axe badge")
    admin.get_by_role("button", name="Add a criterion").click()
    admin.locator("#builder").get_by_label("Module", exact=True).select_option(
        "demo-python-variables")
    admin.get_by_role("button", name="Save draft").click()
    admin.wait_for_url("**/console/badges/axe-*")
    edit = admin.url
    pages = ["/console/", "/console/badges", "/console/badges/new", edit, "/console/courses",
             f"/console/courses/{COURSE}",
             f"/console/courses/{COURSE}/achievements/course_complete:{COURSE}",
             f"/console/courses/{COURSE}/learners/{learner['id']}", "/console/audit",
             "/console/audit?action=badge.create"]
    found = {}
    for path in pages:
        admin.goto(path)
        found[path] = run_axe(admin, axe_source)
    assert found == {path: [] for path in pages}


def test_the_api_docs_render_offline_under_the_csp(server: WebServer,
                                                   new_context: Callable[..., Any]) -> None:
    context = new_context(server.url)
    context.route("**/*", lambda route: route.abort() if not route.request.url.startswith(
        server.url) else route.continue_())  # no CDN, no other origin
    page = context.new_page()
    page.goto("/api/v1/docs")
    page.get_by_text("Learner Achievements API").first.wait_for(timeout=15_000)
