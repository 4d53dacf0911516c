"""The audit log page (admins): who revoked, restored or authored what, when and why.

The trail stores keys (``award.revoke``, ``admin:2 ada@example.com``, a badge key); the
page shows them in words: the action as a sentence, the person's name or email, the
award's or badge's title and whose award it was. Filters still take the stored values
(the action's key from the menu; "Who" matches the stored email or token name).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import render_template, request
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Badge
from app.services.audit import ACTIONS, AuditFilter, list_events
from app.web.console import bp, principal
from app.web.console.words import action_word, actor_label, parse_actor, people


@dataclass(frozen=True)
class Line:
    """One audit entry as the page shows it."""

    event: AuditEvent
    who: str
    who_filter: str
    what: str
    target: str
    learner: str | None


@bp.route("/audit")
def audit_log() -> str:
    args = request.args
    query = AuditFilter(action=args.get("action") if args.get("action") in ACTIONS else None,
                        actor=args.get("actor", "").strip() or None,
                        target=args.get("target", "").strip() or None,
                        since=_date(args.get("since")), until=_date(args.get("until")),
                        before_id=args.get("before", None, int))
    events, before = list_events(principal(), query)
    return render_template("console/audit.html", lines=_lines(events), before=before,
                           actions=[(a, action_word(a)) for a in ACTIONS], args=args)


def _lines(events: list[AuditEvent]) -> list[Line]:
    actors = {e.id: parse_actor(e.actor) for e in events}
    learners = [e.details.get("user_id") for e in events if e.target_type == "award"]
    known = people([a.user_id for a in actors.values() if a.user_id is not None]
                   + [u for u in learners if isinstance(u, int)])
    titles = _badge_titles({e.target for e in events if e.target_type == "badge"})
    return [Line(e, actor_label(e.actor, known), actors[e.id].name or e.actor,
                 action_word(e.action), _target(e, titles), _learner(e, known))
            for e in events]


def _target(event: AuditEvent, titles: dict[str, str]) -> str:
    if event.target_type == "badge":
        title = titles.get(event.target, event.target)
        version = event.details.get("version")
        return f"“{title}” (v{version})" if version else f"“{title}”"
    title = event.details.get("title")
    return f"“{title}”" if title else f"#{event.target}"


def _learner(event: AuditEvent, known: dict[int, str]) -> str | None:
    user_id = event.details.get("user_id") if event.target_type == "award" else None
    return known.get(user_id) if isinstance(user_id, int) else None


def _badge_titles(keys: set[str]) -> dict[str, str]:
    if not keys:
        return {}
    badges = db.session.scalars(select(Badge).where(Badge.key.in_(keys)))
    return {badge.key: badge.latest.title for badge in badges}


def _date(text: str | None) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # a date typed in the form: UTC
    return parsed
