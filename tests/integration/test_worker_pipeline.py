"""A progress write becomes an award made by a real Celery worker on PostgreSQL + Redis."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Achievement, ProgressEvent
from app.services.accounts import create_token, create_user
from tests.support.catalog import build_catalog
from tests.support.services import wait_for


def post_completion(client, token: str, user_id: int, module: str, key: str):
    return client.post("/api/v1/progress-events", headers={"Authorization": f"Bearer {token}"},
                       json={"user_id": user_id, "kind": "module_completed", "module": module,
                             "idempotency_key": key})


def award_keys(user_id: int) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(Achievement.dedupe_key)
                                   .where(Achievement.user_id == user_id)))


def test_worker_process_makes_the_award(services_app, start_worker) -> None:
    build_catalog("c1", units=1, modules=1)
    user = create_user("pipeline@example.com", "password123")
    token = create_token("lms", ["progress:write", "achievements:read"])[1]
    client = services_app.test_client()

    response = post_completion(client, token, user.id, "c1-u1-m1", "k1")
    assert response.status_code == 202
    assert award_keys(user.id) == []  # not eager: nothing happens until a worker runs

    worker = start_worker()
    keys = wait_for(lambda: set(award_keys(user.id)) >= {"module_complete:c1-u1-m1"} and
                    award_keys(user.id), what="the worker's award")
    assert {"module_complete:c1-u1-m1", "unit_complete:c1-u1", "course_complete:c1"} <= set(keys)
    assert "achievements.evaluate_progress_event" in worker.log()
    db.session.rollback()
    event = db.session.scalar(select(ProgressEvent))
    assert event is not None and event.processed_at is not None


def test_resent_event_gives_exactly_one_award(services_app, start_worker) -> None:
    build_catalog("c1", units=1, modules=2)
    user = create_user("resend@example.com", "password123")
    token = create_token("lms", ["progress:write", "achievements:read"])[1]
    client = services_app.test_client()
    start_worker()

    for _ in range(5):
        assert post_completion(client, token, user.id, "c1-u1-m1", "same").status_code == 202
    wait_for(lambda: "module_complete:c1-u1-m1" in award_keys(user.id), what="award")
    listed = client.get(f"/api/v1/achievements?user_id={user.id}&type=module_complete",
                        headers={"Authorization": f"Bearer {token}"}).get_json()["items"]
    assert [a["dedupe_key"] for a in listed] == ["module_complete:c1-u1-m1"]
