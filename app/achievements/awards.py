"""Storing awards exactly once, and the shape every transport shows them in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from app.achievements.registry import AwardDue
from app.extensions import db
from app.models import Achievement
from app.models.types import utcnow
from app.progress.inserts import insert_ignore_stmt


def insert_awards(user_id: int, due: Sequence[AwardDue], *, source_event_id: int | None,
                  silent: bool = False) -> list[Achievement]:
    """``INSERT ... ON CONFLICT (user_id, dedupe_key) DO NOTHING RETURNING id``.

    The unique key makes the insert itself the exactly-once guarantee: a
    redelivered task, a second worker or a backfill rerun inserts nothing.
    """
    if not due:
        return []
    rows = [_row(user_id, award, source_event_id, silent) for award in due]
    stmt = insert_ignore_stmt(Achievement.__table__, ["user_id", "dedupe_key"])
    ids = [row_id for row_id in db.session.scalars(stmt.returning(Achievement.id), rows)]
    if not ids:
        return []
    return list(db.session.scalars(select(Achievement).where(Achievement.id.in_(ids))
                                   .order_by(Achievement.id)))


def existing_keys(user_id: int) -> set[str]:
    """Every dedupe key the learner holds, revoked ones included."""
    query = select(Achievement.dedupe_key).where(Achievement.user_id == user_id)
    return set(db.session.scalars(query))


def _row(user_id: int, award: AwardDue, source_event_id: int | None,
         silent: bool) -> dict[str, Any]:
    return {
        "user_id": user_id, "achievement_type": award.type, "dedupe_key": award.dedupe_key,
        "title": award.title, "description": award.description, "earned_at": utcnow(),
        "metadata": award.metadata, "source_event_id": source_event_id, "silent": silent,
    }


def badge_name(award: Achievement) -> str:
    """File stem of the badge art: tiered for streaks and milestones."""
    meta = award.meta or {}
    if award.achievement_type == "streak":
        return f"streak-{meta.get('days', 3)}"
    if award.achievement_type == "milestone":
        return f"milestone-{meta.get('counter', 'modules')}-{meta.get('threshold', 1)}"
    return award.achievement_type


def award_as_dict(award: Achievement) -> dict[str, Any]:
    """The public shape of an award (REST, SSE, and the gRPC servicer's source)."""
    return {
        "id": award.id,
        "user_id": award.user_id,
        "type": award.achievement_type,
        "dedupe_key": award.dedupe_key,
        "title": award.title,
        "description": award.description,
        "earned_at": award.earned_at.isoformat(),
        "metadata": award.meta or {},
        "badge": badge_name(award),
        "badge_url": f"/static/badges/{badge_name(award)}.svg",
    }
