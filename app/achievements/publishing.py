"""Publish committed awards to live listeners and record that they went out."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import inspect, select, update

from app.achievements.awards import award_as_dict
from app.extensions import db
from app.models import Achievement
from app.models.types import utcnow
from app.notify import publish

log = logging.getLogger(__name__)


def publish_awards(awards: Sequence[Achievement]) -> int:
    """Publish each non-silent award; returns how many went out.

    A failed publish leaves ``published_at`` NULL for the sweep to retry;
    clients that missed it meanwhile replay from the database on reconnect.
    """
    sent: list[int] = []
    for award in _loaded(awards):
        if award.silent:
            continue
        try:
            publish(award.user_id, award_as_dict(award))
        except Exception:
            log.exception("publishing award %s failed; the sweep will retry", award.id)
            continue
        sent.append(award.id)
    if sent:
        db.session.execute(update(Achievement).where(Achievement.id.in_(sent))
                           .values(published_at=utcnow()))
        db.session.commit()
    return len(sent)


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
