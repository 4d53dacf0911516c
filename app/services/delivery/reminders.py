"""Notices no single act causes, written by an hourly beat task: expiry reminders (30, 7
and 1 days before a badge expires, and on the day) and the weekly digest.

Each reminder's cause names its award and offset (``expiry:<award>:<days>``) and each
digest its ISO week (``digest:2026-W49``), so the unique outbox key makes an hourly
rerun, or two beats, write each one once. A reminder is written during the day after
its moment only: a server that was down for a month does not send stale "30 days left".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.domain.badges import expires_at
from app.domain.registry import RULES, settings_for
from app.extensions import db
from app.models import Achievement, NotificationSwitch
from app.models.types import utcnow
from app.services.notifications.outbox import Cause, queue

OFFSETS = (30, 7, 1, 0)
PAGE = 5000


def queue_due(now: datetime | None = None) -> int:
    """Write every reminder and digest due now; commits. Returns how many rows were new."""
    now = now or utcnow()
    written = 0
    for causes in _pages(_expiry_causes(now)):
        written += queue(causes)
        db.session.commit()
    written += queue(list(_digest_causes(now)))
    db.session.commit()
    return written


def _expiry_causes(now: datetime) -> Iterator[Cause]:
    rules = current_app.config["ACHIEVEMENTS_CONFIG"].RULES
    kinds = ["badge", *(k for k in RULES if settings_for(k, rules).get("valid_days"))]
    last = 0
    while True:
        rows = db.session.execute(select(
            Achievement.id, Achievement.user_id, Achievement.achievement_type,
            Achievement.earned_at, Achievement.meta).where(
            Achievement.achievement_type.in_(kinds), Achievement.revoked_at.is_(None),
            Achievement.id > last).order_by(Achievement.id).limit(PAGE)).all()
        for award_id, user_id, kind, earned, meta in rows:
            ends = expires_at(kind, earned, rules, meta)
            for days in _offsets_due(ends, now) if ends else ():
                yield Cause(user_id, "expiry", f"expiry:{award_id}:{days}", award_id)
        if len(rows) < PAGE:
            return
        last = rows[-1][0]


def _offsets_due(ends: datetime, now: datetime) -> list[int]:
    """The offsets whose reminder is due now (their moment passed less than a day ago);
    the day's own reminder is due from the start of that day (UTC)."""
    due = []
    for days in OFFSETS:
        moment = ends - timedelta(days=days) if days else ends.replace(hour=0, minute=0,
                                                                       second=0, microsecond=0)
        if moment <= now < moment + timedelta(days=1):
            due.append(days)
    return due


def _digest_causes(now: datetime) -> Iterator[Cause]:
    year, week, _ = now.isocalendar()
    users = db.session.scalars(select(NotificationSwitch.user_id).where(
        NotificationSwitch.category == "digest", NotificationSwitch.enabled.is_(True))
        .distinct())
    for user_id in users:
        yield Cause(user_id, "digest", f"digest:{year}-W{week:02d}")


def _pages(causes: Iterator[Cause], size: int = 1000) -> Iterator[list[Cause]]:
    page: list[Cause] = []
    for cause in causes:
        page.append(cause)
        if len(page) == size:
            yield page
            page = []
    if page:
        yield page
