"""Rosters that match reality: recording progress in a course puts the learner on its roster
(enrolled as learner, once), whichever transport recorded it, on SQLite and PostgreSQL.
An enrollment already there is never changed, and an activity (no course) enrolls nobody."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from app.domain.state import CatalogView
from app.extensions import db
from app.infra.caches.catalog import catalog as cached_catalog
from app.models import Course, Enrollment, User
from app.read.course_report import enrolled_count, funnel
from app.services.accounts import create_user, enroll
from app.services.catalog import import_catalog
from app.services.recording import ProgressInput, record_many, record_progress
from app.services.xapi import store_statements
from tests.grpc.conftest import channel, complete, grpc_server, service, stub, token_metadata  # noqa: F401
from tests.services.recording.test_record_progress import completed
from tests.services.xapi.test_statements import statement
from tests.support.catalog import build_catalog, catalog_doc

pytestmark = pytest.mark.both_databases
QUIZZES = [{"key": "course-quiz", "title": "Course quiz", "max_score": 10}]


def roster(course_key: str = "c1") -> dict[int, str]:
    """``{user id: role}`` of the course's enrollments, as committed."""
    db.session.rollback()
    query = (select(Enrollment.user_id, Enrollment.role)
             .join(Course, Course.id == Enrollment.course_id).where(Course.key == course_key))
    return {user_id: role for user_id, role in db.session.execute(query)}


def enrollment_rows(user: User) -> int:
    db.session.rollback()
    return len(db.session.scalars(select(Enrollment).where(Enrollment.user_id == user.id)).all())


def scored(user_id: int, assessment: str, key: str = "s1") -> ProgressInput:
    return ProgressInput(user_id=user_id, kind="assessment_scored", occurred_at=None,
                         idempotency_key=key, assessment=assessment, score=5)


def view() -> CatalogView:
    return cached_catalog().view


def test_a_module_completion_enrolls_the_learner_in_its_course(catalog, learner) -> None:
    assert roster() == {}
    record_progress(completed(learner.id, "c1-u1-m1"))
    assert roster() == {learner.id: "learner"}


@pytest.mark.parametrize("level", ["course", "unit", "module"])
def test_a_score_enrolls_the_learner_in_the_assessments_course(app, learner, level) -> None:
    document = catalog_doc("c1", assessments=QUIZZES if level == "course" else None)
    owner = {"unit": document["courses"][0]["units"][0],
             "module": document["courses"][0]["units"][0]["modules"][0]}.get(level)
    if owner is not None:
        owner["assessments"] = [{**QUIZZES[0], "key": f"{level}-quiz"}]
    import_catalog(document)
    record_progress(scored(learner.id, f"{level}-quiz"))
    assert roster() == {learner.id: "learner"}


def test_a_replayed_key_enrolls_once(catalog, learner) -> None:
    record_progress(completed(learner.id, "c1-u1-m1"))
    record_progress(completed(learner.id, "c1-u1-m1"))
    record_progress(completed(learner.id, "c1-u1-m2", key="k2"))
    assert roster() == {learner.id: "learner"} and enrollment_rows(learner) == 1


def test_an_instructor_who_records_progress_stays_instructor(catalog, make_user) -> None:
    teacher = make_user("instructor")
    enroll(teacher.id, "c1", "instructor")
    record_progress(completed(teacher.id, "c1-u1-m1"))
    assert roster() == {teacher.id: "instructor"} and enrollment_rows(teacher) == 1


def test_an_activity_enrolls_nobody(catalog, learner) -> None:
    record_progress(ProgressInput(user_id=learner.id, kind="activity", occurred_at=None,
                                  idempotency_key="a"))
    assert enrollment_rows(learner) == 0


def test_each_course_of_a_batch_enrolls_the_learner_once(app, learner, make_user) -> None:
    build_catalog("c1")
    build_catalog("c2", assessments=QUIZZES)
    other = make_user()
    record_many([completed(learner.id, "c1-u1-m1", key="a"),
                 completed(learner.id, "c1-u1-m2", key="b"),
                 scored(learner.id, "course-quiz", key="c"),
                 completed(other.id, "c2-u1-m1", key="d"),
                 ProgressInput(user_id=other.id, kind="activity", occurred_at=None,
                               idempotency_key="e")])
    assert roster("c1") == {learner.id: "learner"}
    assert roster("c2") == {learner.id: "learner", other.id: "learner"}
    assert enrollment_rows(learner) == 2 and enrollment_rows(other) == 1


def test_a_module_moved_to_another_course_enrolls_in_its_new_course(app, learner) -> None:
    build_catalog("c1")
    moved = catalog_doc("c2")
    moved["courses"][0]["units"][0]["modules"].append({"key": "c1-u1-m2", "title": "Moved"})
    import_catalog(moved)
    record_progress(completed(learner.id, "c1-u1-m2"))
    assert roster("c2") == {learner.id: "learner"} and roster("c1") == {}


def test_progress_over_rest_enrolls(client, bearer, catalog, learner) -> None:
    body = {"user_id": learner.id, "kind": "module_completed", "module": "c1-u1-m1",
            "idempotency_key": "rest-1"}
    assert client.post("/api/v1/progress-events", json=body, headers=bearer).status_code == 202
    assert client.post("/api/v1/progress-events", json=body, headers=bearer).status_code == 202
    assert roster() == {learner.id: "learner"} and enrollment_rows(learner) == 1


def test_progress_over_grpc_enrolls(stub, service, catalog, learner) -> None:  # noqa: F811
    complete(stub, service, learner.id, "c1-u1-m1", "grpc-1")
    complete(stub, service, learner.id, "c1-u1-m1", "grpc-1")
    assert roster() == {learner.id: "learner"} and enrollment_rows(learner) == 1


def test_the_players_complete_button_enrolls(client, catalog, learner) -> None:
    login = client.post("/login", data={"email": learner.email, "password": "password123"})
    assert login.status_code == 302
    response = client.post("/modules/c1-u1-m1/complete", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert roster() == {learner.id: "learner"}


def test_xapi_statements_enroll(catalog, learner) -> None:
    store_statements([statement(learner.email), statement(learner.email, verb="experienced")],
                     "service:1", in_array=True)
    assert roster() == {learner.id: "learner"} and enrollment_rows(learner) == 1


def test_a_statement_matched_when_its_learner_arrives_enrolls_them(catalog) -> None:
    email = f"late-{uuid.uuid4().hex[:6]}@example.com"
    store_statements([statement(email)], "service:1", in_array=False)
    assert roster() == {}
    newcomer = create_user(email, "password123", "learner", "UTC")
    assert roster() == {newcomer.id: "learner"}


def test_a_statement_matched_when_its_activity_is_imported_enrolls(app, learner) -> None:
    store_statements([statement(learner.email, activity="module/c3-u1-m1")], "service:1",
                     in_array=False)
    build_catalog("c3")
    assert roster("c3") == {learner.id: "learner"}


def test_the_course_report_counts_learners_who_started(catalog, learner, make_user) -> None:
    make_user()  # a learner of nothing
    record_progress(completed(learner.id, "c1-u1-m1"))
    assert enrolled_count("c1") == 1
    steps: dict[str, Any] = {step.label: step for step in funnel(view(), "c1")}
    assert steps["Enrolled"].count == steps["Completed a module"].count == 1
    assert steps["Completed a module"].share == 1.0
