"""The audit trail of consequential acts: giving, revoking and restoring awards, authoring badges.

Services call :func:`record` inside the transaction of the act itself (the caller
commits), so the log never claims an act that rolled back nor misses one that
committed. Only admins read it (:func:`list_events`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select

from app.errors import Forbidden
from app.extensions import db
from app.infra.bulk import insert_audit_pg
from app.infra.sql import on_postgresql
from app.models import AuditEvent
from app.models.types import utcnow
from app.services.accounts.principal import Principal

ACTIONS = ("award.grant", "award.revoke", "award.restore", "badge.create", "badge.edit",
           "badge.publish", "badge.archive")
PAGE = 50


def record(actor: str, action: str, target_type: str, target: str | int,
           reason: str | None = None, **details: Any) -> AuditEvent:
    """Add one entry to the current transaction (committed with the act)."""
    event = AuditEvent(actor=actor[:200], action=action, target_type=target_type,
                       target=str(target), reason=reason, details=details)
    db.session.add(event)
    return event


def record_many(actor: str, action: str, target_type: str,
                entries: Sequence[tuple[str | int, dict[str, Any]]],
                reason: str | None = None) -> None:
    """One entry per target of one act (a badge given to a long list), in one statement of
    the current transaction: adding them one by one through the ORM cost more than the
    awards did (``app.infra.bulk`` says how PostgreSQL takes them)."""
    if not entries:
        return
    common = {"at": utcnow(), "actor": actor[:200], "action": action,
              "target_type": target_type, "reason": reason}
    rows = [(str(target), details) for target, details in entries]
    if on_postgresql():
        insert_audit_pg(common, rows)
    else:
        db.session.execute(insert(AuditEvent), [{**common, "target": target, "details": details}
                                                for target, details in rows])


def actor_name(principal: Principal) -> str:
    """How the log names who acted: role and id (stable), then the email or token name."""
    return f"{principal.caller_key} {principal.name}".strip()


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None


def list_events(principal: Principal, query: AuditFilter, limit: int = PAGE
                ) -> tuple[list[AuditEvent], int | None]:
    """Newest first, one page, and the id to continue before (None on the last page)."""
    if principal.kind != "admin":
        raise Forbidden("only admins read the audit log")
    rows = list(db.session.scalars(_filtered(query).order_by(AuditEvent.id.desc())
                                   .limit(limit + 1)))
    more = len(rows) > limit
    return rows[:limit], (rows[limit - 1].id if more else None)


def _filtered(query: AuditFilter) -> Select[tuple[AuditEvent]]:
    stmt = select(AuditEvent)
    if query.action:
        stmt = stmt.where(AuditEvent.action == query.action)
    if query.actor:
        stmt = stmt.where(AuditEvent.actor.contains(query.actor, autoescape=True))
    if query.target:
        stmt = stmt.where(AuditEvent.target == query.target)
    if query.since:
        stmt = stmt.where(AuditEvent.at >= query.since)
    if query.until:
        stmt = stmt.where(AuditEvent.at < query.until)
    if query.before_id:
        stmt = stmt.where(AuditEvent.id < query.before_id)
    return stmt
