"""Who may use each console route: anonymous → log in; learners → 403; an instructor of
another course → 404 for this course and its badges (403 for the audit log); the course's
instructor and admins → allowed (the audit log is admins' only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.models import AuditEvent

OK, FOUND, FORBIDDEN, MISSING = 200, 302, 403, 404
C1_CRITERIA = '{"module_complete": "c1-u1-m2"}'
C1_JSON = {"module_complete": "c1-u1-m1"}


def routes(world: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    learner, award = world["ann_id"], world["award"]
    new = {"key": "made", "title": "Made", "criteria": C1_CRITERIA, "image_kind": "default"}
    return [
        ("GET", "/console/", {}), ("GET", "/console/badges", {}),
        ("GET", "/console/badges/new", {}), ("GET", "/console/badges/c1b", {}),
        ("GET", "/console/courses", {}), ("GET", "/console/courses/c1", {}),
        ("GET", "/console/courses/c1/export.csv", {}),
        ("GET", f"/console/courses/c1/learners/{learner}", {}),
        ("GET", "/console/courses/c1/achievements/course_complete:c1", {}),
        ("GET", "/console/audit", {}),
        ("POST", "/console/badges/new", {"data": new}),
        ("POST", "/console/badges/c1b", {"data": {**new, "key": "c1b"}}),
        ("POST", "/console/badges/preview", {"json": {"key": "p", "title": "P",
                                                      "criteria": C1_JSON}}),
        ("POST", "/console/badges/c1b/publish", {"data": {}}),
        ("POST", f"/console/courses/c1/awards/{award}/revoke", {"data": {"reason": "test"}}),
        ("POST", f"/console/courses/c1/awards/{award}/restore", {"data": {"reason": "test"}}),
        ("POST", "/console/badges/c1b/archive", {"data": {}}),
    ]


STAFF_OK = [OK] * 9 + [FORBIDDEN] + [FOUND, FOUND, OK, FOUND, FOUND, FOUND, FOUND]
EXPECTED = {
    None: [FOUND] * 17,
    "ann": [FORBIDDEN] * 17,
    "oscar": [OK, OK, OK, MISSING, OK, MISSING, MISSING, MISSING, MISSING, FORBIDDEN,
              FORBIDDEN, MISSING, FORBIDDEN, MISSING, MISSING, MISSING, MISSING],
    "ida": STAFF_OK,
    "ada": [*STAFF_OK[:9], OK, *STAFF_OK[10:]],
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_every_console_route(who: str | None, world: dict[str, Any],
                             client_for: Callable[[str | None], FlaskClient]) -> None:
    client = client_for(who)
    got = [client.open(path, method=method, **kw).status_code
           for method, path, kw in routes(world)]
    assert got == EXPECTED[who]


def test_anonymous_is_sent_to_log_in(client_for: Callable[[str | None], FlaskClient]) -> None:
    response = client_for(None).get("/console/courses/c1")
    assert response.headers["Location"].startswith("/login")


def test_refused_acts_change_nothing(world: dict[str, Any],
                                     client_for: Callable[[str | None], FlaskClient]) -> None:
    for who in (None, "ann", "oscar"):
        client = client_for(who)
        for method, path, kw in routes(world):
            client.open(path, method=method, **kw)
    assert db.session.query(AuditEvent).count() == 1  # the setup's badge.create only


def test_other_instructors_course_is_not_listed(
        client_for: Callable[[str | None], FlaskClient]) -> None:
    page = client_for("oscar").get("/console/courses").get_data(as_text=True)
    assert "Course c2" in page and "Course c1" not in page
    assert "c1b" not in client_for("oscar").get("/console/badges").get_data(as_text=True)
