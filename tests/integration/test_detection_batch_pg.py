"""Batched detection on PostgreSQL: learners another transaction holds are skipped, not awaited."""

from __future__ import annotations

import psycopg
from flask import Flask

from app.extensions import db
from app.models import ProgressEvent
from app.services.accounts import create_user
from app.services.awarding.detection import evaluate_event
from app.services.catalog import import_catalog
from app.services.recording import ProgressInput, record_progress
from tests.support.catalog import catalog_doc


def recorded(user_id: int, module: str) -> int:
    """Record an event; its task waits in this run's queue (no worker is running)."""
    return record_progress(ProgressInput(user_id=user_id, kind="module_completed",
                                         occurred_at=None, idempotency_key=f"b{module}",
                                         module=module)).event.id


def processed(event_id: int) -> bool:
    db.session.expire_all()
    event = db.session.get(ProgressEvent, event_id)
    db.session.rollback()
    return event is not None and event.processed_at is not None


def test_a_learner_locked_elsewhere_is_left_to_its_own_task(services_app: Flask,
                                                             service_settings: dict) -> None:
    import_catalog(catalog_doc("c1", units=1, modules=2))
    first = create_user("batch1@example.com", "password123").id
    second = create_user("batch2@example.com", "password123").id
    own, other = recorded(first, "c1-u1-m1"), recorded(second, "c1-u1-m2")
    url = service_settings["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as holder:  # another detection (or backfill) holds `second`
        holder.execute("SELECT id FROM users WHERE id = %s FOR NO KEY UPDATE", (second,))
        evaluate_event(own)
        assert (processed(own), processed(other)) == (True, False)
    assert evaluate_event(other)
    assert processed(other)
