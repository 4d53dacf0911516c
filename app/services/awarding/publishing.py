"""Publish committed awards to live listeners and record that they went out."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta

from sqlalchemy import bindparam, inspect, select

from app.extensions import db
from app.infra.metrics import record as metrics
from app.infra.pubsub import publish_many
from app.infra.sql import execute, on_postgresql
from app.models import Achievement
from app.models.types import utcnow
from app.read.shapes import award_as_dict
from app.services.awarding.tracing import award_fields
from app.services.notifications import coalesce_seconds, kick

log = logging.getLogger(__name__)

# Built once, values bound at execution, on the table: the ORM-enabled ``update(Achievement)``
# built per call (and its session synchronization) cost ~2 x the CPU of this statement.
# On PostgreSQL the same UPDATE runs alone in autocommit (one round trip, not BEGIN,
# UPDATE, COMMIT); running it twice changes nothing more.
_AWARDS = Achievement.__table__
_MARK_PUBLISHED = (_AWARDS.update().where(_AWARDS.c.id.in_(bindparam("ids", expanding=True)))
                   .values(published_at=bindparam("now")))
_MARK_PUBLISHED_SQL = "UPDATE achievements SET published_at = %s WHERE id = ANY(%s)"


def publish_awards(awards: Sequence[Achievement],
                   traces: Mapping[int, str | None] | None = None) -> int:
    """Publish every non-silent award in one round trip; returns how many went out.

    A failed publish leaves ``published_at`` NULL for the sweep to retry (a
    repeat is harmless: readers take news from the database by award id);
    clients that missed it meanwhile replay from the database on reconnect.
    ``traces`` (source event id -> request id) names each award's log line's request.
    """
    live = [award for award in _loaded(awards) if not award.silent]
    if not live:
        return 0
    try:
        return _publish_live(live, traces or {})
    finally:
        kick(coalesce_seconds())  # their emails and pushes, after the open pages' news


def _publish_live(live: Sequence[Achievement], traces: Mapping[int, str | None]) -> int:
    try:
        publish_many([(award.user_id, award_as_dict(award)) for award in live])
    except Exception:
        log.exception("publishing %d awards failed; the sweep will retry", len(live))
        metrics.publish_failed(len(live))
        return 0
    sent = [award.id for award in live]
    _mark_published(sent)
    metrics.awards_published(len(sent))
    if log.isEnabledFor(logging.INFO):
        for award in live:
            log.info("award published", extra=award_fields(award, traces))
    return len(sent)


def publish_changes(changes: Sequence[tuple[int, int]]) -> None:
    """Wake the live feeds of learners whose awards were revoked or restored:
    ``(user_id, change id)`` pairs, after commit. Readers take the change from the
    database, so a lost wake-up delays the notice (to the page's next wake: another
    award or change, the hub's resync after a Redis reconnect, or its own reconnect)
    and never loses it; a failure is logged, never raised into the committed act."""
    if not changes:
        return
    try:
        publish_many([(user_id, {"change": change_id}) for user_id, change_id in changes])
    except Exception:
        log.exception("telling live pages of %d standing changes failed", len(changes))
    kick()  # their emails and pushes, committed with them, after the open pages' news


def _mark_published(ids: list[int]) -> None:
    if on_postgresql():
        execute(_MARK_PUBLISHED_SQL, (utcnow(), ids))
        return
    db.session.execute(_MARK_PUBLISHED, {"ids": ids, "now": utcnow()})
    db.session.commit()


def _loaded(awards: Sequence[Achievement]) -> Sequence[Achievement]:
    """Reload awards expired by the commit in ONE query (touching each one costs a query)."""
    ids = [inspect(award).identity[0] for award in awards if inspect(award).expired_attributes]
    if ids:
        db.session.scalars(select(Achievement).where(Achievement.id.in_(ids))
                           .execution_options(populate_existing=True)).all()
    return awards


def republish_pending(age_seconds: float, limit: int = 1000) -> int:
    """Publish again awards whose first publish failed (e.g. Redis was down)."""
    cutoff = utcnow() - timedelta(seconds=age_seconds)
    pending = db.session.scalars(
        select(Achievement)
        .where(Achievement.published_at.is_(None), Achievement.silent.is_(False),
               Achievement.revoked_at.is_(None), Achievement.earned_at < cutoff)
        .order_by(Achievement.id).limit(limit)
    ).all()
    return publish_awards(pending)
