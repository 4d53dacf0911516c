"""Helpers for detection tests: record progress through the real service path."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Achievement, User
from app.services.recording import ProgressInput, record_progress

_keys = itertools.count(1)


def record(user: User | int, kind: str, when: datetime, **fields: object) -> None:
    """Record one progress event (eager detection runs inside) with a fresh idempotency key."""
    user_id = user if isinstance(user, int) else user.id
    key = str(fields.pop("key", None) or f"k{next(_keys)}")
    record_progress(ProgressInput(user_id=user_id, kind=kind, occurred_at=when,
                                  idempotency_key=key, **fields))  # type: ignore[arg-type]


def award_keys(user: User | int, *, include_revoked: bool = True) -> set[str]:
    user_id = user if isinstance(user, int) else user.id
    query = select(Achievement.dedupe_key).where(Achievement.user_id == user_id)
    if not include_revoked:
        query = query.where(Achievement.revoked_at.is_(None))
    return set(db.session.scalars(query))


def award(user: User | int, dedupe_key: str) -> Achievement:
    user_id = user if isinstance(user, int) else user.id
    found = db.session.scalar(select(Achievement).where(Achievement.user_id == user_id,
                                                        Achievement.dedupe_key == dedupe_key))
    assert found is not None, f"no award {dedupe_key}"
    return found


@pytest.fixture
def use_rules(app) -> Callable[[dict], None]:
    """Override ``Config.RULES`` for this test's app."""

    def use(rules: dict) -> None:
        app.config["ACHIEVEMENTS_CONFIG"].RULES = rules

    return use
