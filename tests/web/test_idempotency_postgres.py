"""Concurrent duplicate requests against PostgreSQL: one event stored, every answer equal."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ProgressEvent
from app.services.accounts import create_token, create_user
from tests.support.catalog import build_catalog

pytestmark = pytest.mark.integration
CALLERS = 8


@pytest.fixture(autouse=True)
def release_connections(services_app):
    """Close the pool the threads filled: PostgreSQL is shared by concurrent test runs."""
    yield
    db.session.remove()
    db.engine.dispose()


def test_concurrent_duplicates_store_one_event_and_answer_alike(services_app) -> None:
    build_catalog("c1", units=1, modules=1)
    user = create_user("race@example.com", "password123")
    headers = {"Authorization": f"Bearer {create_token('lms', ['progress:write'])[1]}",
               "Idempotency-Key": "same-key"}
    body = {"user_id": user.id, "kind": "module_completed", "module": "c1-u1-m1"}
    start = threading.Barrier(CALLERS)

    def post(_: int) -> tuple[int, bytes]:
        client = services_app.test_client()
        start.wait()
        response = client.post("/api/v1/progress-events", json=body, headers=headers)
        return response.status_code, response.get_data()

    with ThreadPoolExecutor(CALLERS) as pool:
        answers = list(pool.map(post, range(CALLERS)))

    assert {status for status, _ in answers} == {202}
    assert len({data for _, data in answers}) == 1
    db.session.rollback()
    events = db.session.scalars(select(ProgressEvent).where(ProgressEvent.user_id == user.id))
    assert len(list(events)) == 1


def test_concurrent_conflicting_bodies_store_one_event(services_app) -> None:
    build_catalog("c1", units=1, modules=2)
    user_id = create_user("race2@example.com", "password123").id
    headers = {"Authorization": f"Bearer {create_token('lms', ['progress:write'])[1]}",
               "Idempotency-Key": "same-key"}
    start = threading.Barrier(CALLERS)

    def post(i: int) -> int:
        body = {"user_id": user_id, "kind": "module_completed", "module": f"c1-u1-m{i % 2 + 1}"}
        client = services_app.test_client()
        start.wait()
        return client.post("/api/v1/progress-events", json=body, headers=headers).status_code

    with ThreadPoolExecutor(CALLERS) as pool:
        statuses = list(pool.map(post, range(CALLERS)))

    assert set(statuses) <= {202, 409} and 409 in statuses
    db.session.rollback()
    events = db.session.scalars(select(ProgressEvent).where(ProgressEvent.user_id == user_id))
    assert len(list(events)) == 1
