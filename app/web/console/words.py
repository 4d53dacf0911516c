"""The console's words for stored keys: a badge's status, an audit action, who acted.

The audit trail and ``revoked_by`` store who acted as :func:`app.services.audit.actor_name`
writes it ("<kind>:<id> <email or token name>", stable for filtering); pages show the
person instead: their display name or email ("Ada Lovelace", "a service: lms-sync").
Templates use these as globals (registered with the console blueprint, for every page).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as L_
from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.web.console import bp

STATUS_WORDS = {"draft": L_("Draft"), "published": L_("Published"), "archived": L_("Archived")}
ACTION_WORDS = {
    "award.grant": L_("Gave an award by hand"), "award.revoke": L_("Revoked an award"),
    "award.restore": L_("Restored an award"), "badge.create": L_("Created a badge"),
    "badge.edit": L_("Edited a badge"), "badge.publish": L_("Published a badge"),
    "badge.archive": L_("Archived a badge"),
}
USER_KINDS = ("learner", "instructor", "admin")
ACTOR = re.compile(r"^(?P<kind>[a-z]+):(?P<id>\d+)(?: (?P<name>.*))?$")


@dataclass(frozen=True)
class Actor:
    """Who acted, parsed from the stored text: ``user_id`` for people, else ``None``."""

    kind: str
    user_id: int | None
    name: str


def parse_actor(text: str | None) -> Actor:
    match = ACTOR.match(text or "")
    if match is None:
        return Actor("other", None, text or "")
    kind, name = match["kind"], match["name"] or ""
    return Actor(kind, int(match["id"]) if kind in USER_KINDS else None, name)


def people(user_ids: Iterable[int]) -> dict[int, str]:
    """Display names (or emails) of these users, one query."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.display_name, User.email)
                              .where(User.id.in_(wanted)))
    return {row.id: row.display_name or row.email for row in rows}


@bp.app_template_global()
def actor_label(text: str | None, known: dict[int, str] | None = None) -> str:
    """A stored actor as people read it: the person's name or email, a service by its
    token's name, anything else (``catalog import``) as it is."""
    actor = parse_actor(text)
    if actor.user_id is not None:
        found = (known if known is not None else people([actor.user_id])).get(actor.user_id)
        return found or actor.name or _("User %(id)s", id=actor.user_id)
    if actor.kind == "service":
        return _("Service “%(name)s”", name=actor.name)
    return actor.name


@bp.app_template_global()
def status_word(status: str) -> str:
    word = STATUS_WORDS.get(status)
    return str(word) if word is not None else status.capitalize()


@bp.app_template_global()
def action_word(action: str) -> str:
    word = ACTION_WORDS.get(action)
    return str(word) if word is not None else action

