"""The audit log page (admins): who revoked, restored or authored what, when and why."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template, request

from app.services.audit import ACTIONS, AuditFilter, list_events
from app.web.console import bp, principal


@bp.route("/audit")
def audit_log() -> str:
    args = request.args
    query = AuditFilter(action=args.get("action") if args.get("action") in ACTIONS else None,
                        actor=args.get("actor", "").strip() or None,
                        target=args.get("target", "").strip() or None,
                        since=_date(args.get("since")), until=_date(args.get("until")),
                        before_id=args.get("before", None, int))
    events, before = list_events(principal(), query)
    return render_template("console/audit.html", events=events, before=before,
                           actions=ACTIONS, args=args)


def _date(text: str | None) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # a date typed in the form: UTC
    return parsed
