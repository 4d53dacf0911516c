"""Changes of an award's standing (revoked, restored), as a feed live pages resume by id.

A revocation changes an old award row, so a reader that resumes "after the last award
id" never sees it. The audit log is already the append-only record of every revoke
and restore, written in the same transaction as the change (app.services.awarding
.revocation), so its ids are the feed's positions: a reader keeps the last change id
it sent next to the last award id, and replays what follows both.

Revocation takes the learner's lock (as detection does) before its audit rows get
their ids, so one learner's changes commit in id order and "after the last id sent"
misses none; the all-learners feed re-reads a settle window, as for awards.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, func, select

from app.extensions import db
from app.models import Achievement, AuditEvent
from app.read.shapes import award_as_dict

KINDS = {"award.revoke": "revoked", "award.restore": "restored"}


def _joined(user_id: int | None) -> Any:
    query = (select(AuditEvent, Achievement)
             .join(Achievement, AuditEvent.target == cast(Achievement.id, String))
             .where(AuditEvent.target_type == "award", AuditEvent.action.in_(list(KINDS))))
    if user_id is not None:
        query = query.where(Achievement.user_id == user_id)
    return query


def latest_change_id(user_id: int | None) -> int:
    """The newest standing change of this learner (everyone's for None); 0 when none."""
    query = _joined(user_id).with_only_columns(func.coalesce(func.max(AuditEvent.id), 0))
    return int(db.session.scalar(query) or 0)


def changes_after(user_id: int | None, after_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """Standing changes after ``after_id``, oldest first, each with the award as it is now."""
    query = _joined(user_id).where(AuditEvent.id > after_id).order_by(AuditEvent.id).limit(limit)
    return [change_as_dict(event, award) for event, award in db.session.execute(query)]


def change_as_dict(event: AuditEvent, award: Achievement) -> dict[str, Any]:
    """What a live page needs to show the change: SSE ``revoked``/``restored`` data."""
    return {
        "id": event.id,
        "kind": KINDS[event.action],
        "achievement_id": award.id,
        "user_id": award.user_id,
        "reason": event.reason,
        "at": event.at.isoformat(),
        "achievement": award_as_dict(award),
    }


def is_change(item: dict[str, Any] | None) -> bool:
    """A feed item that is a standing change rather than an award."""
    return item is not None and "kind" in item and "achievement_id" in item
