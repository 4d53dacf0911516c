"""Admin revocation of an award, with a reason, and its undo.

A revoked award keeps its row (who, when, why), and every revoke or restore that
changes an award adds an entry to the audit log (app.services.audit) in the same
transaction. Learner
views filter ``revoked_at``; detection never awards it again because the
unique ``(user_id, dedupe_key)`` row still exists — restoring is the only way
back. Holder counts follow in the same transaction.

Each change is also told to its learner's open pages: after commit, its audit entry's
id is published on the learner's channel, and live feeds (app.read.standing) read the
change from the database, replayed on reconnect like awards. The learner's lock is
taken before the audit rows get their ids, so one learner's changes commit in id order.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import Achievement, AuditEvent
from app.models.types import utcnow
from app.services.audit import record
from app.services.awarding.awards import lock_learners
from app.services.awarding.publishing import publish_changes
from app.services.awarding.stats import add_holders
from app.services.notifications import queue_changes

MAX_REASON = 2000
log = logging.getLogger(__name__)


def revoke_award(award_id: int, reason: str, actor: str) -> Achievement:
    """Hide an award from the learner; revoking a revoked award changes nothing."""
    return revoke_awards([award_id], reason, actor)[0]


def restore_award(award_id: int, actor: str, reason: str | None = None) -> Achievement:
    """Make a revoked award visible again (silently: it was celebrated when earned)."""
    return restore_awards([award_id], actor, reason)[0]


def revoke_awards(award_ids: list[int], reason: str, actor: str) -> list[Achievement]:
    """Revoke several awards with one reason, all in one transaction (a bulk revoke from
    the console is all or nothing); those already revoked are left as they are."""
    reason = _required(reason)
    awards = _locked(award_ids)
    changes = []
    for award in awards:
        if award.revoked_at is None:
            award.revoked_at, award.revoked_reason, award.revoked_by = utcnow(), reason, actor
            add_holders([(award.dedupe_key, award.achievement_type)], delta=-1)
            changes.append(_audit(award, "award.revoke", actor, reason))
            log.info("award %s (%s) revoked by %s: %s", award.id, award.dedupe_key, actor,
                     reason)
    _commit_and_tell(changes)
    return awards


def restore_awards(award_ids: list[int], actor: str, reason: str | None = None
                   ) -> list[Achievement]:
    """Restore several revoked awards in one transaction; others are left as they are."""
    reason = (reason or "").strip()[:MAX_REASON] or None
    awards = _locked(award_ids)
    changes = []
    for award in awards:
        if award.revoked_at is not None:
            award.revoked_at, award.revoked_reason, award.revoked_by = None, None, None
            add_holders([(award.dedupe_key, award.achievement_type)], delta=1)
            changes.append(_audit(award, "award.restore", actor, reason))
            log.info("award %s (%s) restored by %s", award.id, award.dedupe_key, actor)
    _commit_and_tell(changes)
    return awards


def _commit_and_tell(changes: list[tuple[int, AuditEvent]]) -> None:
    """Commit, then wake the learners' live pages (a wake-up only: they read the change
    from the database, so a lost publish is caught on their next wake or reconnect)."""
    db.session.flush()
    told = [(user_id, event.id) for user_id, event in changes]
    queue_changes([(user_id, event.id, "revoked" if event.action == "award.revoke" else
                    "restored", int(event.target), event.reason) for user_id, event in changes])
    db.session.commit()
    publish_changes(told)


def _required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a reason is required to revoke an award",
                           fields={"reason": ["required"]})
    if len(reason) > MAX_REASON:
        raise InvalidInput("reason is too long", fields={"reason": [f"at most {MAX_REASON}"]})
    return reason


def _audit(award: Achievement, action: str, actor: str, reason: str | None
           ) -> tuple[int, AuditEvent]:
    """Every change of an award's standing is logged with the change (same transaction);
    the entry is also the change's position in its learner's live feed."""
    return award.user_id, record(actor, action, "award", award.id, reason,
                                 user_id=award.user_id, dedupe_key=award.dedupe_key,
                                 title=award.title)


def _locked(award_ids: list[int]) -> list[Achievement]:
    """The awards, row-locked in id order (two bulk acts cannot deadlock) after their
    learners' locks (detection's order: learner, then awards); every id must name one,
    or nothing changes."""
    wanted = sorted(set(award_ids))
    lock_learners(list(db.session.scalars(
        select(Achievement.user_id).where(Achievement.id.in_(wanted)).distinct())))
    query = (select(Achievement).where(Achievement.id.in_(wanted)).order_by(Achievement.id)
             .with_for_update().execution_options(populate_existing=True))
    awards = list(db.session.scalars(query))
    if not wanted or len(awards) != len(wanted):
        db.session.rollback()
        missing = sorted(set(wanted) - {award.id for award in awards})
        raise NotFound(f"no achievement {missing[0] if missing else ''}".strip())
    return awards
