"""LTI Advantage in a real browser, against the test platform (PyPI ``lti1p3platform`` at
https://127.0.0.2) and our app under gunicorn over HTTPS: an instructor's launch syncs the
course roster from the platform's Names and Roles service; an instructor places a link by
Deep Linking inside the platform's iframe, the platform accepts it, and a learner's framed
launch of that link lands where it says; Dynamic Registration from the platform's page with
the URL an administrator made in the console, then their confirmation there."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.models import Enrollment, Identity
from tests.e2e.conftest import run_axe
from tests.support.lti_platform import Member, Platform, Tool
from tests.support.lti_tool import HttpsWebServer, register_on_both
from tests.support.services import PASSWORD, wait_for

pytestmark = pytest.mark.e2e
COURSE = "demo-python"
SHOTS = Path("/tmp/shots-lti-advantage")
WIDTHS = (1280, 375)
TEACHER = Member("e2e-t1", ["Instructor"], name="Tess Teacher", email="tess@lms.example")
LEARNERS = [Member(f"e2e-s{i}", ["Learner"], name=f"Student {i}",
                   email=f"student{i}@lms.example") for i in range(1, 4)]


@dataclass
class Lms:
    platform: Platform
    server: HttpsWebServer
    browser: Any
    tool: Tool


@pytest.fixture(scope="module")
def lms(lti_platform: Platform, lti_tool_server: HttpsWebServer, lti_browser: Any) -> Lms:
    """The platform, our tool registered on it (and it here), a browser trusting both."""
    tool = register_on_both(lti_platform, lti_tool_server)
    return Lms(lti_platform, lti_tool_server, lti_browser, tool)


def enrolled(server: HttpsWebServer) -> dict[str, tuple[str, bool]]:
    """LMS user id -> (role, active) in the demo course."""
    from app.extensions import db
    from app.models import Course

    with server.app.app_context():
        rows = db.session.execute(
            select(Identity.subject, Enrollment.role, Enrollment.active)
            .join(Enrollment, Enrollment.user_id == Identity.user_id)
            .join(Course, Course.id == Enrollment.course_id).where(Course.key == COURSE)).all()
        return {subject: (role, active) for subject, role, active in rows}


def test_an_instructor_launch_syncs_the_roster(lms: Lms, axe_source: str) -> None:
    course = lms.platform.course("Python for everyone").set_roster([TEACHER, *LEARNERS])
    page = lms.browser.new_page()

    page.goto(lms.platform.page(lms.tool, course, TEACHER, custom={"course_key": COURSE}))

    page.frame_locator("#tool").locator("main h1").first.wait_for()
    expected = {"e2e-t1": ("instructor", True),
                **{m.user_id: ("learner", True) for m in LEARNERS}}
    wait_for(lambda: enrolled(lms.server) == expected, timeout=20, what="roster synced")
    page.close()
    page = lms.browser.new_page()
    admin_login(page, lms.server)
    page.goto(f"{lms.server.url}/console/courses/{COURSE}")
    assert "Roster last synced from the LMS" in page.locator("#roster-sync").inner_text()
    looked_at(page, "console-course-roster", axe_source)
    page.close()


def test_a_deep_linking_round_trip_in_the_lms_frame(lms: Lms, axe_source: str) -> None:
    course = lms.platform.course("Python, section B").set_roster([TEACHER, LEARNERS[0]])
    page = lms.browser.new_page()

    page.goto(lms.platform.page(lms.tool, course, TEACHER, message="LtiDeepLinkingRequest",
                                custom={"course_key": COURSE}))
    frame = page.frame_locator("#tool")
    frame.get_by_label(re.compile("whole dashboard")).check()
    frame.get_by_role("button", name="Add to the course").click()

    frame.get_by_role("heading", name="Placed in Python, section B").wait_for()
    placed = course.links[-1]
    assert placed["custom"] == {"target": "dashboard", "course_key": COURSE}
    page.goto(lms.platform.page(lms.tool, course, LEARNERS[0], link=placed))
    page.frame_locator("#tool").get_by_role("link", name="Dashboard").wait_for()
    assert page.frames[-1].url == f"{lms.server.url}/"
    page.close()


def test_an_unconnected_lms_course_is_connected_then_the_picker(lms: Lms,
                                                                axe_source: str) -> None:
    key = fresh_course(lms.server)
    course = lms.platform.course("Python, section C").set_roster([TEACHER])
    page = lms.browser.new_page()

    page.goto(lms.platform.launch(lms.tool, course, TEACHER, message="LtiDeepLinkingRequest"))
    page.get_by_role("heading", name="Connect this LMS course").wait_for()
    looked_at(page, "deep-linking-connect", axe_source)
    page.get_by_label("Course").select_option(key)
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("heading", name="Choose what this link opens").wait_for()
    looked_at(page, "deep-linking-picker", axe_source)
    page.close()


def test_dynamic_registration_then_an_admins_confirmation(lms: Lms, axe_source: str) -> None:
    page = lms.browser.new_page()
    admin_login(page, lms.server)
    page.goto(f"{lms.server.url}/console/lti-platforms")
    page.get_by_role("button", name="Make a registration URL").click()
    invite_url = page.get_by_label("Registration URL", exact=True).input_value()
    looked_at(page, "lti-platforms-invite", axe_source)

    page.goto(lms.platform.registration_url(invite_url))

    page.get_by_role("status").filter(has_text="closed").wait_for()  # the tool's close message
    registered = lms.platform.registrations[-1]["tool"]
    page.goto(f"{lms.server.url}/console/lti-platforms")
    looked_at(page, "lti-platforms-pending", axe_source)
    page.get_by_role("row").filter(has_text=registered.client_id).get_by_role(
        "button", name=re.compile("^Confirm")).click()
    page.get_by_text(re.compile("confirmed: launches from it are accepted")).wait_for()
    looked_at(page, "lti-platforms-confirmed", axe_source)

    course = lms.platform.course("Registered by itself").set_roster([LEARNERS[1]])
    page.goto(lms.platform.launch(registered, course, LEARNERS[1],
                                  custom={"course_key": fresh_course(lms.server)}))
    page.wait_for_url(f"{lms.server.url}/")
    page.close()


def test_the_pages_that_only_report_say_what_happened(lms: Lms, axe_source: str) -> None:
    page = lms.browser.new_page()
    config_url, token = lms.platform.registration_offer()
    register = f"{lms.server.url}/lti/register?openid_configuration="

    page.goto(f"{register}{config_url}&registration_token={token}&invite={invite(lms.server)}")
    page.get_by_role("heading", name="Tool registered").wait_for()
    looked_at(page, "lti-registered", axe_source)
    page.goto(f"{register}http://lms.example/config&invite={invite(lms.server)}")
    page.get_by_role("heading", name="Registration failed").wait_for()
    looked_at(page, "lti-registration-failed", axe_source)
    page.goto(f"{register}{config_url}&registration_token={token}")
    page.get_by_text("for a registration URL").wait_for()
    looked_at(page, "lti-registration-uninvited", axe_source)
    course = lms.platform.course("Learners only").set_roster([LEARNERS[2]])
    page.goto(lms.platform.launch(lms.tool, course, LEARNERS[2],
                                  message="LtiDeepLinkingRequest",
                                  custom={"course_key": fresh_course(lms.server)}))
    page.get_by_role("heading", name="Cannot add a link").wait_for()
    looked_at(page, "deep-linking-refused", axe_source)
    page.close()


def fresh_course(server: HttpsWebServer) -> str:
    """A course no LMS context holds yet (a context may claim only such a course)."""
    from tests.support.catalog import build_catalog

    key = f"lti-{uuid.uuid4().hex[:8]}"
    with server.app.app_context():
        build_catalog(key, units=1, modules=1)
    return key


def invite(server: HttpsWebServer) -> str:
    """A registration invite, as the console's button makes one."""
    from app.services.lti.invites import create_invite

    with server.app.app_context():
        return create_invite()


def admin_login(page: Any, server: HttpsWebServer) -> None:
    from app.services.accounts import create_user

    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    with server.app.app_context():
        create_user(email, PASSWORD, "admin", "UTC")
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/")


def looked_at(page: Any, name: str, axe_source: str) -> None:
    """Screenshots at both widths (for a person to look at) and no axe violations."""
    SHOTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        assert run_axe(page, axe_source) == [], name
    page.set_viewport_size({"width": 1280, "height": 900})
