"""LTI 1.3 launches against a real platform (PyPI ``lti1p3platform`` at https://127.0.0.2,
tests.support.lti_platform) and our tool under gunicorn over HTTPS.

In Chromium: the LMS course page frames the tool; login initiation, the platform's
sign-in and the launch run inside the iframe, and the learner's dashboard shows there
with their achievements, a new one arriving live as a toast. Without a browser (a
``requests`` session plays one, cookies and all): the attacks, each refused with
nothing stored — forged signature, wrong audience, expired token, unknown deployment,
replayed launch, state from another browser.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from tests.e2e.conftest import run_axe, wait_live
from tests.support.lti_platform import Member, Platform, Tool
from tests.support.lti_tool import HttpsWebServer, register_on_both

pytestmark = pytest.mark.e2e
SHOTS = Path("/tmp/shots-lti-core")
SHOTS.mkdir(exist_ok=True)
FORM_FIELD = re.compile(r'name="(id_token|state)" value="([^"]*)"')


@pytest.fixture(scope="module")
def tool(lti_platform: Platform, lti_tool_server: HttpsWebServer) -> Tool:
    return register_on_both(lti_platform, lti_tool_server)


@pytest.fixture(scope="module")
def tool_server(lti_tool_server: HttpsWebServer) -> HttpsWebServer:
    """The session's tool server (shared with the LTI Advantage browser tests)."""
    return lti_tool_server


@pytest.fixture(scope="module")
def lms_browser(lti_browser: Any) -> Any:
    return lti_browser


def own_course(server: HttpsWebServer, key: str) -> None:
    """A course of this test's own (other tests on the shared server map the demo one)."""
    from tests.support.catalog import build_catalog

    with server.app.app_context():
        build_catalog(key, units=1, modules=1)


def counts(server: HttpsWebServer) -> dict[str, int]:
    from app.extensions import db
    from app.models import Enrollment, Identity, LtiContext, User

    with server.app.app_context():
        return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                for model in (User, Identity, Enrollment, LtiContext)}


def user_id_of(server: HttpsWebServer, subject: str) -> int:
    from app.extensions import db
    from app.models import Identity

    with server.app.app_context():
        return db.session.scalar(select(Identity.user_id).where(Identity.subject == subject))


def test_a_learner_launched_in_the_lms_frame_sees_their_achievements(
        lti_platform: Platform, tool: Tool, tool_server: HttpsWebServer,
        lms_browser: Any, axe_source: str) -> None:
    own_course(tool_server, "e2e-launch")
    ada = Member("e2e-ada", ["Learner"], name="Ada Learner", email="ada.launch@lms.example")
    course = lti_platform.course("Launch 101").set_roster([ada])
    page = lms_browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(lti_platform.page(tool, course, ada, custom={"course_key": "e2e-launch"}))
    tool_frame = page.frame_locator("#tool")
    tool_frame.locator("main h1").first.wait_for()
    frame = next(f for f in page.frames if f.url.startswith(tool_server.url))
    assert frame.evaluate("() => location.pathname") == "/"
    wait_live(frame)

    tool_server.complete_module(user_id_of(tool_server, "e2e-ada"), "e2e-launch-u1-m1")
    tool_frame.locator(".toast").first.wait_for()  # live, inside the frame
    frame.goto(tool_server.url + "/")
    assert tool_frame.get_by_text("Module 1.1").first.is_visible()
    assert run_axe(frame, axe_source) == [] and errors == []
    page.screenshot(path=str(SHOTS / "launch-dashboard-1280.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=str(SHOTS / "launch-dashboard-375.png"), full_page=True)
    page.close()


def test_an_instructor_connects_the_lms_course_inside_the_frame(
        lti_platform: Platform, tool: Tool, tool_server: HttpsWebServer,
        lms_browser: Any, axe_source: str) -> None:
    own_course(tool_server, "e2e-chemistry")
    teacher = Member("e2e-tess", ["Instructor"], name="Tess Teacher",
                     email="tess.launch@lms.example")
    course = lti_platform.course("Chemistry 101").set_roster([teacher])
    page = lms_browser.new_page()
    page.goto(lti_platform.page(tool, course, teacher))  # no course_key: unmapped
    frame = page.frame_locator("#tool")
    frame.get_by_role("heading", name="Connect your course").wait_for()
    tool_page = next(f for f in page.frames if f.url.startswith(tool_server.url))
    assert run_axe(tool_page, axe_source) == []
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"choose-course-framed-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    frame.get_by_label("Course e2e-chemistry").check()
    frame.get_by_role("button", name="Connect").click()  # a CSRF-protected form, framed
    frame.get_by_role("heading", name="Course e2e-chemistry").first.wait_for()
    assert tool_page.evaluate("() => location.pathname") == "/console/courses/e2e-chemistry"
    page.close()


def test_a_frame_that_keeps_no_cookie_opens_a_new_window(
        lti_platform: Platform, tool: Tool, tool_server: HttpsWebServer,
        lms_browser: Any) -> None:
    """The platform's form post reaches us without the state cookie (as in a browser that
    keeps no cookie in frames at all): the state comes back from the LMS page's storage,
    and the launch ends on a one-time link that signs in in a window of its own."""
    own_course(tool_server, "e2e-cookieless")
    bo = Member("e2e-bo", ["Learner"], name="Bo Cookieless", email="bo.launch@lms.example")
    course = lti_platform.course("Cookieless 101").set_roster([bo])
    context = lms_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    def forget_cookies(route: Any) -> None:  # the platform's sign-in answers the launch
        context.clear_cookies()
        route.continue_()

    page.route(f"{lti_platform.auth_login_url}*", forget_cookies)
    page.goto(lti_platform.page(tool, course, bo, custom={"course_key": "e2e-cookieless"}))
    frame = page.frame_locator("#tool")
    opener = frame.get_by_role("link", name="Open in a new window")
    opener.wait_for()
    page.screenshot(path=str(SHOTS / "cookieless-open-1280.png"))
    with context.expect_page() as popup:
        opener.click()
    window = popup.value
    window.wait_for_url(f"{tool_server.url}/")
    assert window.get_by_role("heading", level=1).first.is_visible()
    context.close()


# -- the attacks, a requests session as the browser ---------------------------------------

class Browser:
    """A cookie-keeping HTTP client that follows a launch the way a browser does."""

    def __init__(self) -> None:
        self.session = requests.Session()

    def launch_form(self, start_url: str) -> dict[str, str]:
        """Login initiation through the platform's sign-in: the form the LMS would post."""
        answer = self.session.get(start_url, timeout=15)  # platform -> tool -> platform /auth
        assert answer.status_code == 200, answer.text[:300]
        fields = {name: html.unescape(value) for name, value in FORM_FIELD.findall(answer.text)}
        assert set(fields) == {"id_token", "state"}, answer.text[:300]
        return fields

    def post(self, url: str, form: dict[str, str]) -> requests.Response:
        return self.session.post(url, data=form, timeout=15, allow_redirects=False)


@pytest.fixture
def attack(lti_platform: Platform, tool: Tool,
           tool_server: HttpsWebServer) -> Callable[..., requests.Response]:
    """Launch with ``options`` (lti_platform.launch's), return the tool's answer, and
    check that nothing was stored."""
    def run(**options: Any) -> requests.Response:
        member = Member(f"e2e-attacked-{len(lti_platform.launches)}", ["Learner"])
        course = lti_platform.course("Attacked").set_roster([member])
        before = counts(tool_server)
        browser = Browser()
        form = browser.launch_form(lti_platform.launch(tool, course, member, **options))
        answer = browser.post(tool.launch_url, form)
        assert counts(tool_server) == before
        return answer
    return run


@pytest.mark.parametrize(("options", "status", "reason"), [
    ({"forge_signature": True}, 401, "signature"),
    ({"claims": {"aud": "another-tool"}}, 401, "audience"),
    ({"expires_in": -3600}, 401, "expired"),
    ({"claims": {"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "dep-x"}}, 401,
     "deployment"),
])
def test_attacks_through_the_platform_are_refused(attack: Callable[..., requests.Response],
                                                  options: dict[str, Any], status: int,
                                                  reason: str) -> None:
    answer = attack(**options)
    assert answer.status_code == status and f"Reason: {reason}" in answer.text


def test_state_from_another_browser_and_a_replay(lti_platform: Platform, tool: Tool,
                                                 tool_server: HttpsWebServer) -> None:
    member = Member("e2e-replayed", ["Learner"])
    course = lti_platform.course("Replayed").set_roster([member])
    attacker, victim = Browser(), Browser()
    form = attacker.launch_form(lti_platform.launch(tool, course, member))
    before = counts(tool_server)
    assert victim.post(tool.launch_url, form).status_code == 400  # not the victim's state
    assert counts(tool_server) == before
    cookies = attacker.session.cookies.copy()
    assert attacker.post(tool.launch_url, form).status_code in (200, 302)  # the real one
    after = counts(tool_server)
    attacker.session.cookies.update(cookies)  # the state cookie too, captured
    replay = attacker.post(tool.launch_url, form)
    assert replay.status_code == 401 and "replay" in replay.text
    assert counts(tool_server) == after
