"""A launch that passes every check: the person is made (or found) from the claims, the
context maps to a course by ``course_key``, their LMS role becomes their course role,
and they land inside the frame on the placed page."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Enrollment, Identity, LtiContext, User
from tests.support.catalog import build_catalog
from tests.web.lti.conftest import INSTRUCTOR, ISSUER, Launcher, stored
from tests.web.signin.conftest import sample

SIGN_INS = "achievements_sign_ins_total"

pytestmark = pytest.mark.both_databases


def test_first_launch_makes_the_learner_and_enrolls_them(launcher: Launcher) -> None:
    build_catalog("c1", units=1, modules=1)
    launcher.login()
    answer = launcher.launch(custom={"course_key": "c1"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/")
    user = db.session.scalar(select(User))
    assert (user.email, user.display_name, user.locale, user.role) == \
        ("lms-user-1@lms.test", "Ada Lovelace", "de", "learner")
    identity = db.session.scalar(select(Identity))
    assert (identity.provider, identity.subject) == (f"lti:{ISSUER}", "lms-user-1")
    enrollment = db.session.scalar(select(Enrollment))
    assert (enrollment.role, enrollment.active) == ("learner", True)
    assert launcher.client.get("/").status_code == 200  # signed in, inside the frame


def test_a_second_launch_finds_the_same_person(launcher: Launcher) -> None:
    before = {account: sample(SIGN_INS, protocol="lti", account=account)
              for account in ("created", "existing")}
    for _ in range(2):
        launcher.login()
        assert launcher.launch().status_code == 200  # unmapped: "not set up yet"
    assert stored()["users"] == 1 and stored()["identities"] == 1
    assert [sample(SIGN_INS, protocol="lti", account=account) - before[account]
            for account in ("created", "existing")] == [1, 1]  # counted as made, then found


def test_an_instructor_of_an_unmapped_course_chooses_it(launcher: Launcher) -> None:
    build_catalog("c1", units=1, modules=1)
    launcher.login()
    answer = launcher.launch(roles=[INSTRUCTOR])
    context = db.session.scalar(select(LtiContext))
    assert answer.headers["Location"] == f"/lti/contexts/{context.id}/course"
    page = launcher.client.get(answer.headers["Location"])
    assert page.status_code == 200 and b'value="c1"' in page.data
    chosen = launcher.client.post(answer.headers["Location"], data={"course": "c1"})
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/console/courses/c1"
    db.session.expire_all()
    assert context.course_id is not None
    enrollment = db.session.scalar(select(Enrollment))
    assert enrollment.role == "instructor"
    assert db.session.scalar(select(User.role)) == "instructor"


def test_a_learner_of_an_unmapped_course_is_told_politely(launcher: Launcher) -> None:
    launcher.login()
    answer = launcher.launch(locale="en")
    assert answer.status_code == 200 and b"Not set up yet" in answer.data
    assert stored()["enrollments"] == 0


def test_launched_pages_may_be_framed_by_the_platform_only(launcher: Launcher,
                                                          client: Any) -> None:
    launcher.login()
    answer = launcher.launch()
    policy = answer.headers["Content-Security-Policy"]
    assert f"frame-ancestors {ISSUER}" in policy and "X-Frame-Options" not in answer.headers
    cookie = next(h for h in answer.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "SameSite=None" in cookie and "Secure" in cookie and "Partitioned" in cookie
    page = launcher.client.get("/achievements")
    assert f"frame-ancestors {ISSUER}" in page.headers["Content-Security-Policy"]
    elsewhere = client.get("/login")  # another browser, no launch: never framed
    assert "frame-ancestors 'none'" in elsewhere.headers["Content-Security-Policy"]


def test_the_tools_own_pages_may_be_framed_by_registered_platforms(launcher: Launcher) -> None:
    refused = launcher.client.post("/lti/launch", data={"state": "x", "id_token": "y"})
    assert refused.status_code == 400
    assert f"frame-ancestors {ISSUER}" in refused.headers["Content-Security-Policy"]


def test_log_out_inside_the_frame_deletes_the_framed_cookie(launcher: Launcher) -> None:
    launcher.login()
    launcher.launch()
    answer = launcher.client.post("/logout")
    cookie = next(h for h in answer.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Max-Age=0" in cookie or "Expires=Thu, 01 Jan 1970" in cookie
    assert "Partitioned" in cookie and "SameSite=None" in cookie
    assert launcher.client.get("/achievements").status_code == 302


def test_only_an_instructor_who_launched_may_connect_the_course(launcher: Launcher) -> None:
    build_catalog("c1", units=1, modules=1)
    launcher.login()
    launcher.launch(locale="en")  # a learner of the unmapped LMS course
    context = db.session.scalar(select(LtiContext))
    page = f"/lti/contexts/{context.id}/course"
    assert launcher.client.get(page).status_code == 403
    assert launcher.client.post(page, data={"course": "c1"}).status_code == 403
    db.session.expire_all()
    assert context.course_id is None
