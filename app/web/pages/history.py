"""Achievement history (type and date filters, keyset pages) and one badge's detail page.

A plain GET form and links carry the filters and the cursor, so filtering and
paging work without JavaScript and every page of results has its own URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.domain.registry import RULES
from app.errors import InvalidInput, NotFound
from app.read.history import (
    HistoryFilter,
    decode_cursor,
    get_achievement,
    list_achievements,
)
from app.read.learner_state import learner_zone
from app.services.credentials.public import own_share_links
from app.web.pages import ActionForm, bp

PAGE_SIZE = 10


@dataclass
class HistoryQuery:
    """The history form as submitted, with the problems found in it."""

    type: str = ""
    date_from: date | None = None
    date_to: date | None = None
    cursor: str | None = None
    revoked: bool = False  # "Show revoked": off by default
    errors: dict[str, str] = field(default_factory=dict)

    def params(self, **changes: Any) -> dict[str, Any]:
        values = {"type": self.type, "from": self.date_from, "to": self.date_to,
                  "revoked": "1" if self.revoked else None, "cursor": self.cursor, **changes}
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items() if v}

    def history_filter(self, zone_name: str) -> HistoryFilter:
        """Dates are the learner's local days: ``to`` includes the whole of that day."""
        zone = learner_zone(zone_name)
        since = datetime.combine(self.date_from, time(), zone) if self.date_from else None
        until = (datetime.combine(self.date_to + timedelta(days=1), time(), zone)
                 if self.date_to else None)
        return HistoryFilter(types=(self.type,) if self.type else (), since=since, until=until,
                             include_revoked=self.revoked)

    @property
    def live(self) -> bool:
        """Whether a new award belongs at the top of this page (``live.js`` adds it): the
        newest page, with no end date."""
        return not self.cursor and not self.date_to


def parse_query(args: Any) -> HistoryQuery:
    query = HistoryQuery()
    kind = args.get("type", "")
    if kind in RULES:
        query.type = kind
    elif kind:
        query.errors["type"] = _("Choose one of the listed types.")
    query.date_from = _date(args.get("from"), "from", query.errors)
    query.date_to = _date(args.get("to"), "to", query.errors)
    if query.date_from and query.date_to and query.date_from > query.date_to:
        query.errors["to"] = _("The end date must not be before the start date.")
        query.date_to = None
    query.cursor = _cursor(args.get("cursor"), query.errors)
    query.revoked = args.get("revoked") in {"1", "on", "true"}
    return query


@bp.route("/achievements")
@login_required
def history() -> str:
    query = parse_query(request.args)
    page = list_achievements(current_user.id, query.history_filter(current_user.timezone),
                             query.cursor, PAGE_SIZE)
    older = url_for("pages.history", **query.params(cursor=page.next_cursor)) \
        if page.next_cursor else None
    newest = url_for("pages.history", **query.params(cursor=None)) if query.cursor else None
    return render_template("history.html", page=page, query=query, types=RULES.values(),
                           older_url=older, newest_url=newest)


@bp.route("/achievements/<int:award_id>")
@login_required
def achievement_detail(award_id: int) -> str:
    award = _own_award(award_id, include_revoked=True)  # its learner keeps a revoked page
    return render_template("achievement.html", award=award, form=ActionForm(),
                           share=own_share_links(award.id, current_user.id))


@bp.route("/achievements/<int:award_id>/card")
@login_required
def achievement_card(award_id: int) -> str:
    """The award as a list card: ``live.js`` inserts it, so live cards match rendered ones
    (``?size=md`` for the history list)."""
    size = "md" if request.args.get("size") == "md" else "lg"
    return render_template("partials/award_card.html", award=_own_award(award_id), size=size)


def _own_award(award_id: int, include_revoked: bool = False) -> Any:
    """Another learner's award is simply not found, exactly like an unknown id."""
    try:
        return get_achievement(current_user.id, award_id, include_revoked)
    except NotFound:
        abort(404)


def _date(value: str | None, name: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD.")
        return None


def _cursor(value: str | None, errors: dict[str, str]) -> str | None:
    if not value:
        return None
    try:
        decode_cursor(value)
    except InvalidInput:
        errors["cursor"] = _("That page link has expired; showing the newest achievements.")
        return None
    return value
