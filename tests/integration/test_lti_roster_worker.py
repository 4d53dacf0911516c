"""LTI roster sync on the real services: the task goes through Redis to a real Celery worker
process, which fetches the test platform's NRPS roster over HTTPS and writes PostgreSQL;
the beat task finds the rosters due and hands each to a worker."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import celery, db
from app.models import Enrollment, Identity
from app.services.lti import names_roles
from tests.support.services import Worker, wait_for
from tests.web.lti_advantage.conftest import Lms, Member, Platform, build_lms


@pytest.fixture
def lms(services_app: Flask, lti_platform: Platform) -> Lms:
    """The LMS course mapped to ``c1`` on PostgreSQL, tasks going to real workers."""
    return build_lms(lti_platform)


def roster(lms: Lms) -> dict[str, tuple[str, bool]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Identity.subject, Enrollment.role, Enrollment.active)
        .join(Enrollment, Enrollment.user_id == Identity.user_id)
        .where(Enrollment.course_id == lms.context.course_id)).all()
    db.session.commit()  # end the read: the worker's writes are seen on the next look
    return {subject: (role, active) for subject, role, active in rows}


def members(lms: Lms) -> Lms:
    return lms.roster(Member("t1", ["Instructor"]), Member("s1", ["Learner"]),
                      Member("s2", ["Learner"]))


EXPECTED = {"t1": ("instructor", True), "s1": ("learner", True), "s2": ("learner", True)}


def test_a_worker_process_syncs_the_roster(lms: Lms, start_worker: Callable[..., Worker]) -> None:
    start_worker()

    names_roles.request_sync(members(lms).context.id)

    wait_for(lambda: roster(lms) == EXPECTED, timeout=30, what="roster synced by the worker")


def test_the_beat_task_hands_due_rosters_to_workers(
        lms: Lms, start_worker: Callable[..., Worker]) -> None:
    members(lms)
    start_worker()

    celery.signature("achievements.lti_sync_rosters").apply_async()

    wait_for(lambda: roster(lms) == EXPECTED, timeout=30, what="beat's sync")
