"""The console's course page says when the LMS roster was last synced (LMS courses only)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from app.models import User
from app.services.lti import names_roles
from tests.support.catalog import build_catalog
from tests.web.conftest import login
from tests.web.lti_advantage.conftest import Lms, Member


def course_page(app: Flask, make_user: Callable[..., User], key: str = "c1") -> str:
    return login(app.test_client(), make_user("admin")).get(
        f"/console/courses/{key}").get_data(as_text=True)


@pytest.mark.both_databases
def test_a_synced_roster_shows_when(app: Flask, lms: Lms,
                                    make_user: Callable[..., User]) -> None:
    lms.roster(Member("s1", ["Learner"]))
    names_roles.sync_roster(lms.context.id)

    assert "Roster last synced from the LMS: Today" in course_page(app, make_user)


def test_an_lms_course_not_synced_yet_says_so(app: Flask, lms: Lms,
                                               make_user: Callable[..., User]) -> None:
    assert "Roster not synced from the LMS yet" in course_page(app, make_user)


def test_a_course_from_no_lms_says_nothing(app: Flask, lms: Lms,
                                           make_user: Callable[..., User]) -> None:
    build_catalog("c2", units=1, modules=1)

    assert "roster-sync" not in course_page(app, make_user, "c2")
