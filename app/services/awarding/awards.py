"""Storing awards exactly once, with holder counts kept in step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select

from app.domain.registry import AwardDue
from app.extensions import db
from app.infra.bulk import insert_awards_pg
from app.infra.inserts import insert_ignore_stmt
from app.infra.sql import on_postgresql
from app.models import Achievement, User
from app.models.achievement import new_public_id
from app.models.types import utcnow
from app.services.awarding.stats import add_holders
from app.services.notifications import queue_awards


def insert_awards(user_id: int, due: Sequence[AwardDue], *, source_event_id: int | None,
                  silent: bool = False) -> list[Achievement]:
    """Store one learner's due awards; returns the rows that are new, in id order."""
    stored = store_awards({user_id: due}, source_event_id=source_event_id, silent=silent)
    return load_awards([row.id for row in stored])


def lock_learners(ids: Sequence[int]) -> None:
    """Live detection's per-learner lock for many learners, in id order (so two holders of
    overlapping sets cannot deadlock): awards made outside detection (a backfill, a badge
    given by hand) take it too, so each learner's award ids still grow in commit order
    and the live feeds, which resume after the last id they sent, miss none."""
    db.session.execute(select(User.id).where(User.id.in_(list(ids))).order_by(User.id)
                       .with_for_update(key_share=True)).all()


_IDS = bindparam("ids", expanding=True)  # statements below are built once: detection's path
_BY_IDS = select(Achievement).where(Achievement.id.in_(_IDS)).order_by(Achievement.id)


def load_awards(ids: Sequence[int]) -> list[Achievement]:
    """The award rows with these ids, in id order, in one query."""
    if not ids:
        return []
    return list(db.session.scalars(_BY_IDS, {"ids": list(ids)}))


def store_awards(due_by_user: Mapping[int, Sequence[AwardDue]], *,
                 source_event_id: int | None, silent: bool = False,
                 sources: Mapping[int, int] | None = None,
                 earned_at: datetime | None = None) -> list[StoredAward]:
    """``INSERT ... ON CONFLICT (user_id, dedupe_key) DO NOTHING RETURNING``, plus holder counts
    and, unless ``silent``, the new awards' notices (same transaction).

    The unique key makes the insert itself the exactly-once guarantee: a
    redelivered task, a second worker or a backfill rerun inserts nothing, and
    only rows really inserted are counted in ``achievement_stats``.
    ``sources`` names a learner's own source event (batched detection).
    """
    now = earned_at or utcnow()
    sources = sources or {}
    rows = [_row(user_id, award, sources.get(user_id, source_event_id), silent, now)
            for user_id, awards in due_by_user.items() for award in awards]
    if not rows:
        return []
    if on_postgresql():  # holders counted by the same statement
        stored = sorted(StoredAward(*row) for row in insert_awards_pg(rows))
    else:
        stmt = insert_ignore_stmt(Achievement.__table__, ["user_id", "dedupe_key"]).returning(
            Achievement.id, Achievement.user_id, Achievement.dedupe_key,
            Achievement.achievement_type)
        stored = sorted(StoredAward(*row) for row in db.session.execute(stmt, rows))
        add_holders((row.dedupe_key, row.type) for row in stored)
    if not silent:  # the award emails/pushes commit with the awards (app.services.notifications)
        queue_awards(stored)
    return stored


def store_live_awards(due_by_user: Mapping[int, Sequence[AwardDue]],
                      sources: Mapping[int, int]) -> list[Achievement]:
    """:func:`store_awards` for live detection; the new rows as (transient) ``Achievement``
    objects built from what was inserted, so publishing them costs no reload query."""
    earned_at = utcnow()
    stored = store_awards(due_by_user, source_event_id=None, sources=sources,
                          earned_at=earned_at)
    due = {(user_id, a.dedupe_key): a for user_id, awards in due_by_user.items() for a in awards}
    return [_as_inserted(row, due[row.user_id, row.dedupe_key], earned_at,
                         sources.get(row.user_id)) for row in stored]


def _as_inserted(row: StoredAward, award: AwardDue, earned_at: datetime,
                 source_event_id: int | None) -> Achievement:
    return Achievement(id=row.id, user_id=row.user_id, achievement_type=row.type,
                       dedupe_key=row.dedupe_key, title=award.words[0],
                       description=award.words[1], earned_at=earned_at,
                       meta=award.metadata, source_event_id=source_event_id, silent=False,
                       public=False)


class StoredAward(NamedTuple):
    id: int
    user_id: int
    dedupe_key: str
    type: str


def _row(user_id: int, award: AwardDue, source_event_id: int | None,
         silent: bool, earned_at: datetime) -> dict[str, Any]:
    return {
        "user_id": user_id, "achievement_type": award.type, "dedupe_key": award.dedupe_key,
        "title": award.words[0], "description": award.words[1], "earned_at": earned_at,
        "metadata": award.metadata, "source_event_id": source_event_id, "silent": silent,
        "public_id": new_public_id(),  # both insert paths (bulk SQL and insert-ignore)
    }
