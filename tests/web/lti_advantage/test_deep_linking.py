"""Deep Linking 2.0 round trips with the test platform: its signed LtiDeepLinkingRequest in,
the instructor's choice out as an LtiDeepLinkingResponse the platform (lti1p3platform)
verifies against our JWKS and stores as a link in the course."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape
from typing import Any

import pytest
import requests
from flask import Flask, g
from flask_login import login_user

from app.errors import InvalidInput
from app.extensions import db
from app.models import LtiContext, LtiDeployment, User
from app.services.accounts.principal import Principal
from app.services.badges import create_badge, publish_badge
from app.services.lti import deep_linking as dl
from app.services.lti.launch import Launch
from app.services.lti.people import person_for
from app.services.lti.registrations import find_deployment
from tests.support.catalog import build_catalog
from tests.web.conftest import PASSWORD, award, login
from tests.web.lti_advantage.conftest import Lms, Member

ADMIN = Principal(kind="admin", id=0, name="setup")
TEACHER = Member("t1", ["Instructor"], name="Tess Teacher", email="tess@lms.example")


def badge(key: str = "c1star", module: str = "c1-u1-m1") -> None:
    create_badge(ADMIN, {"key": key, "title": f"Badge {key}",
                         "criteria": {"all": [{"module_complete": module}]}})
    publish_badge(ADMIN, key)


def dl_launch(lms: Lms, member: Member = TEACHER, role: str | None = "instructor") -> Launch:
    """A deep linking launch as lti-core's launch view hands it over."""
    claims = lms.platform.id_token_claims(lms.tool, lms.course, member,
                                          message="LtiDeepLinkingRequest")
    user = person_for(lms.registered, member.user_id, claims)
    assert user is not None
    if role == "instructor":
        from app.services.accounts.courses import set_course_role

        set_course_role(user.id, lms.context.course_id, "instructor")
    deployment = find_deployment(lms.registered.id, lms.tool.deployment_id)
    assert isinstance(deployment, LtiDeployment)
    return Launch(claims=claims, platform=lms.registered, deployment=deployment,
                  context=lms.context, user=user, course_role=role,
                  message_type="LtiDeepLinkingRequest", custom={})


def picker(app: Flask, launch: Launch) -> tuple[str, int]:
    from app.web.lti.deep_linking import start

    with app.test_request_context("/lti/launch", method="POST"):
        login_user(launch.user)
        page, status = start(launch)  # type: ignore[misc]
        g.pop("_login_user")  # the test's app context (and its g) outlives this request
    return str(page), int(status)


def choose(app: Flask, launch: Launch, target: str) -> Any:
    page, _ = picker(app, launch)
    return signed_in(app, launch.user).post(
        "/lti/deep-linking", data={"request": field(page, "request"), "target": target})


def signed_in(app: Flask, user: User) -> Any:
    """A browser signed in as this LMS-made user (given a password here, as a launch's
    session would be: the launch itself is lti-core's and tested there)."""
    from app.services.accounts import users

    user.password_hash = users._hasher.hash(PASSWORD)
    db.session.commit()
    return login(app.test_client(), user)


def returned(lms: Lms, answer: Any) -> requests.Response:
    """The auto-posting page's form, posted to the platform as the browser would."""
    html = answer.get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)" data-lti-auto-submit', html)
    assert action is not None
    return requests.post(unescape(action.group(1)), data={"JWT": field(html, "JWT")},
                         timeout=10)


def field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found is not None, f"no {name} field"
    return unescape(found.group(1))


def test_the_settings_come_from_the_platforms_request(lms: Lms) -> None:
    claims = lms.platform.id_token_claims(lms.tool, lms.course, TEACHER,
                                          message="LtiDeepLinkingRequest")

    settings = dl.settings_from(claims)

    assert settings.return_url.startswith(lms.platform.issuer + "/deep_links/")
    assert settings.data


@pytest.mark.parametrize("settings", [None, {"accept_types": ["ltiResourceLink"]},
                                      {"deep_link_return_url": "https://lms.example/r",
                                       "accept_types": ["link", "html"]}])
def test_a_request_we_cannot_answer_is_refused(settings: Any) -> None:
    with pytest.raises(InvalidInput):
        dl.settings_from({dl.c.DEEP_LINKING_SETTINGS: settings})


def test_the_choices_are_the_course_its_badges_and_the_dashboard(lms: Lms) -> None:
    build_catalog("c2", units=1, modules=1)
    badge("c1star")
    badge("c2star", "c2-u1-m1")  # about another course: not offered

    assert [c.target for c in dl.choices("c1")] == ["course", "badge:c1star", "dashboard"]


def test_an_instructor_places_the_course_page_and_the_platform_accepts_it(
        app: Flask, lms: Lms) -> None:
    answer = choose(app, dl_launch(lms), "course")

    assert answer.status_code == 200
    assert returned(lms, answer).status_code == 200
    link = lms.course.links[-1]
    assert link["type"] == "ltiResourceLink" and link["custom"] == {
        "target": "course", "course_key": "c1"}
    assert link["url"].endswith("/lti/launch")


def test_a_badge_page_can_be_placed(app: Flask, lms: Lms) -> None:
    badge("c1star")

    returned(lms, choose(app, dl_launch(lms), "badge:c1star"))

    assert lms.course.links[-1]["custom"]["target"] == "badge:c1star"
    assert lms.course.links[-1]["title"] == "Badge c1star"


def test_the_answer_may_be_posted_to_the_platform_only(app: Flask, lms: Lms) -> None:
    answer = choose(app, dl_launch(lms), "dashboard")

    policy = answer.headers["Content-Security-Policy"]
    assert f"form-action 'self' {lms.platform.issuer}" in policy


def test_a_choice_not_offered_shows_the_picker_again(app: Flask, lms: Lms) -> None:
    answer = choose(app, dl_launch(lms), "badge:someone-elses")

    assert answer.status_code == 422
    assert "Choose one of the pages below." in answer.get_data(as_text=True)
    assert lms.course.links == []


def unmapped(lms: Lms) -> Launch:
    """A deep linking launch from an LMS course not connected to any course here."""
    context = LtiContext(platform_id=lms.registered.id, context_id="ctx-new", title="New")
    db.session.add(context)
    db.session.commit()
    return replace(dl_launch(lms, role=None), context=context, course_role="instructor")


def test_an_unconnected_lms_course_is_connected_first(app: Flask, lms: Lms) -> None:
    build_catalog("c2", units=1, modules=1)
    launch = unmapped(lms)
    page, status = picker(app, launch)
    assert status == 200 and "Connect this LMS course" in page

    answer = signed_in(app, launch.user).post("/lti/deep-linking/course", data={
        "request": field(page, "request"), "course": "c2"})

    assert answer.status_code == 200
    assert "Achievements in Course c2" in answer.get_data(as_text=True)
    db.session.refresh(launch.context)
    assert launch.context is not None and launch.context.course_id is not None


def test_a_course_another_lms_course_holds_cannot_be_taken(app: Flask, lms: Lms) -> None:
    build_catalog("c2", units=1, modules=1)
    launch = unmapped(lms)
    page, _ = picker(app, launch)

    answer = signed_in(app, launch.user).post("/lti/deep-linking/course", data={
        "request": field(page, "request"), "course": "c1"})  # lms.context holds c1

    assert answer.status_code == 422
    assert "Choose one of the courses listed." in answer.get_data(as_text=True)


def test_with_no_course_to_connect_the_instructor_is_told(app: Flask, lms: Lms) -> None:
    page, status = picker(app, unmapped(lms))  # c1, the only course, is held already

    assert status == 409 and "Ask an administrator" in page


def test_learners_get_no_picker(app: Flask, lms: Lms) -> None:
    page, status = picker(app, dl_launch(lms, Member("s1", ["Learner"]), role="learner"))

    assert status == 403 and "Only the course" in page


def test_an_altered_request_is_refused(app: Flask, lms: Lms) -> None:
    launch = dl_launch(lms)
    client = signed_in(app, launch.user)

    answer = client.post("/lti/deep-linking", data={"request": "x.y.z", "target": "course"})

    assert answer.status_code == 400


def test_another_user_cannot_use_an_instructors_request(app: Flask, lms: Lms,
                                                         make_user: Any) -> None:
    page, _ = picker(app, dl_launch(lms))
    other = login(app.test_client(), make_user("instructor"))

    answer = other.post("/lti/deep-linking",
                        data={"request": field(page, "request"), "target": "course"})

    assert answer.status_code == 403


def test_a_placed_badge_opens_the_learners_award_or_their_dashboard(lms: Lms,
                                                                    make_user: Any) -> None:
    learner = make_user()
    assert dl.landing("badge:c1star", "c1", learner.id, instructor=False).page == "dashboard"
    held = award(learner, "c1star", kind="badge")

    assert dl.landing("badge:c1star", "c1", learner.id, False) == dl.Landing("award", held.id)
    assert dl.landing("badge:c1star", "c1", learner.id, True).page == "badge_console"


def test_a_placed_course_opens_the_player_or_the_console(lms: Lms) -> None:
    assert dl.landing("course", "c1", 1, instructor=False) == dl.Landing("course_player", "c1")
    assert dl.landing("course", "c1", 1, instructor=True) == dl.Landing("course_console", "c1")
    assert dl.landing("anything", "c1", 1, instructor=False).page == "dashboard"


def test_an_expired_or_forged_pending_request_is_refused(app: Flask) -> None:
    with pytest.raises(InvalidInput):
        dl.unseal("forged")
    db.session.rollback()
