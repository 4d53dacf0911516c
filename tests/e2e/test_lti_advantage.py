"""LTI Advantage in a real browser, against the test platform (PyPI ``lti1p3platform`` at
https://127.0.0.2) and our app under gunicorn over HTTPS: an instructor's launch syncs the
course roster from the platform's Names and Roles service; an instructor places a link by
Deep Linking, the platform accepts it, and a learner's launch of that link lands where it
says. Launches here are top-level windows; the framed launch has its own test."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from app.models import Enrollment, Identity
from tests.support.lti_platform import (  # noqa: F401  (the session fixture)
    Member,
    Platform,
    Tool,
    lti_platform,
)
from tests.support.lti_tool import (  # noqa: F401  (session fixtures)
    HttpsWebServer,
    lti_browser,
    lti_tool_server,
    register_on_both,
)
from tests.support.services import wait_for

pytestmark = pytest.mark.e2e
COURSE = "demo-python"
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
def lms(lti_platform: Platform, lti_tool_server: HttpsWebServer,  # noqa: F811
        lti_browser: Any) -> Lms:  # noqa: F811
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


def test_an_instructor_launch_syncs_the_roster(lms: Lms) -> None:
    course = lms.platform.course("Python for everyone").set_roster([TEACHER, *LEARNERS])
    page = lms.browser.new_page()

    page.goto(lms.platform.launch(lms.tool, course, TEACHER, custom={"course_key": COURSE}))

    page.locator("main h1").first.wait_for()
    expected = {"e2e-t1": ("instructor", True),
                **{m.user_id: ("learner", True) for m in LEARNERS}}
    wait_for(lambda: enrolled(lms.server) == expected, timeout=20, what="roster synced")
    page.goto(f"{lms.server.url}/console/courses/{COURSE}")
    assert "Roster last synced from the LMS" in page.locator("#roster-sync").inner_text()
    page.close()


def test_a_deep_linking_round_trip(lms: Lms) -> None:
    course = lms.platform.course("Python, section B").set_roster([TEACHER, LEARNERS[0]])
    page = lms.browser.new_page()

    page.goto(lms.platform.launch(lms.tool, course, TEACHER, message="LtiDeepLinkingRequest",
                                  custom={"course_key": COURSE}))
    page.get_by_label(re.compile("whole dashboard")).check()
    page.get_by_role("button", name="Add to the course").click()

    page.get_by_role("heading", name="Placed in Python, section B").wait_for()
    placed = course.links[-1]
    assert placed["custom"] == {"target": "dashboard", "course_key": COURSE}
    page.goto(lms.platform.launch(lms.tool, course, LEARNERS[0], link=placed))
    page.wait_for_url(f"{lms.server.url}/")
    page.close()
