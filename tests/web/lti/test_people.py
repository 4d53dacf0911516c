"""Who a launch is and what they may do: context roles only (an LMS Administrator is an
instructor of that course, never an admin here), and a local account with the same email
linked only when the platform is trusted for email."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Identity, LtiPlatform, User
from app.services.accounts import create_user
from app.services.lti.people import course_role
from tests.support.catalog import build_catalog
from tests.web.lti.conftest import LEARNER, Launcher, stored

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
SYSTEM_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"
INSTITUTION_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"


@pytest.mark.parametrize(("roles", "expected"), [
    ([f"{MEMBERSHIP}#Instructor"], "instructor"),
    ([f"{MEMBERSHIP}/Instructor#TeachingAssistant"], "instructor"),
    ([f"{MEMBERSHIP}#ContentDeveloper"], "instructor"),
    ([f"{MEMBERSHIP}#Administrator"], "instructor"),
    ([LEARNER, f"{MEMBERSHIP}#Instructor"], "instructor"),
    ([LEARNER], "learner"),
    (["Learner"], "learner"),
    (["Instructor"], "instructor"),
    ([f"{MEMBERSHIP}#Mentor"], None),
    ([SYSTEM_ADMIN, INSTITUTION_ADMIN], None),
    ([], None),
])
def test_context_roles_map_to_course_roles(roles: list[str], expected: str | None) -> None:
    assert course_role(roles) == expected


def test_an_lms_administrator_never_becomes_an_admin_here(launcher: Launcher) -> None:
    build_catalog("c1", units=1, modules=1)
    launcher.login()
    answer = launcher.launch(roles=[SYSTEM_ADMIN, f"{MEMBERSHIP}#Administrator"],
                             custom={"course_key": "c1"})
    assert answer.status_code == 302
    assert db.session.scalar(select(User.role)) == "instructor"  # of c1 only (enrollment)


def test_an_existing_account_is_not_taken_over_by_email(launcher: Launcher) -> None:
    create_user("lms-user-1@lms.test", "password123", "admin", "UTC")
    launcher.login()
    answer = launcher.launch()
    assert answer.status_code == 409 and b"Ask an administrator" in answer.data
    assert db.session.scalar(select(Identity)) is None
    assert launcher.client.get("/achievements").status_code == 302  # not signed in


def test_a_trusted_platform_links_the_account_with_its_email(launcher: Launcher,
                                                             platform: Any) -> None:
    local = create_user("lms-user-1@lms.test", "password123", "learner", "UTC")
    db.session.get(LtiPlatform, platform.id).trusted_email = True
    db.session.commit()
    launcher.login()
    assert launcher.launch().status_code == 200
    identity = db.session.scalar(select(Identity))
    assert identity.user_id == local.id and stored()["users"] == 1


def test_a_course_another_lms_course_holds_is_not_offered(launcher: Launcher,
                                                          app: Any) -> None:
    from app.models import Course, LtiContext

    build_catalog("c1", units=1, modules=1)
    build_catalog("c2", units=1, modules=1)
    c1 = db.session.scalar(select(Course.id).where(Course.key == "c1"))
    other = LtiContext(platform_id=db.session.scalar(select(LtiPlatform.id)),
                       context_id="another-course", course_id=c1)
    db.session.add(other)
    db.session.commit()
    launcher.login()
    choose = launcher.launch(roles=[f"{MEMBERSHIP}#Instructor"]).headers["Location"]
    page = launcher.client.get(choose)
    assert b'value="c2"' in page.data and b'value="c1"' not in page.data
    taken = launcher.client.post(choose, data={"course": "c1"})
    assert taken.status_code == 422
    assert db.session.scalar(select(LtiContext.course_id).where(
        LtiContext.context_id == "course-101")) is None
