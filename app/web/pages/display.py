"""Template helpers: badge art lookup, type labels, local times and award facts.

The badge files are the single source of their text alternative: each SVG's
``<title>`` is read once (``app.services.credentials.art``) and used as the ``alt``
of every ``<img>``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as L_
from flask_login import current_user

from app.models import Achievement
from app.read.live import latest_award_id
from app.read.shapes import badge_name
from app.read.standing import latest_change_id
from app.services.credentials.art import badge_file, badge_titles

NAV_SECTIONS = {"pages.dashboard": "dashboard", "pages.history": "history",
                "pages.achievement_detail": "history", "pages.courses": "learn",
                "pages.course_player": "learn", "pages.quiz": "learn",
                "pages.settings": "settings"}
FACTS = (("course_title", L_("Course")), ("unit_title", L_("Unit")),
         ("module_title", L_("Module")), ("assessment_title", L_("Assessment")))


def badge_src(name: str) -> str:
    return url_for("static", filename=f"badges/{badge_file(name)}.svg")


def badge_alt(name: str) -> str:
    return badge_titles()[badge_file(name)]


def level_badge(key: str) -> str:
    """Badge stem of a locked level key: ``streak:7`` → ``streak-7``."""
    return key.replace(":", "-")


def award_facts(award: Achievement) -> list[tuple[str, str]]:
    """What the award was for, as label/value rows for the detail page."""
    meta: dict[str, Any] = award.meta or {}
    rows = [(str(label), str(meta[key])) for key, label in FACTS if meta.get(key)]
    if "score" in meta and "max_score" in meta:
        rows.append((_("Score"), _("%(score)s of %(max_score)s", score=format_decimal(
            meta["score"]), max_score=format_decimal(meta["max_score"]))))
    if award.achievement_type == "streak" and meta.get("days"):
        rows.append((_("Streak"), ngettext("%(num)s day in a row", "%(num)s days in a row",
                                           int(meta["days"]))))
    if award.achievement_type == "milestone" and meta.get("threshold"):
        rows.append((_("Count"), _counted(meta.get("counter", "modules"), int(meta["threshold"]))))
    return rows


def _counted(counter: str, n: int) -> str:
    if counter == "courses":
        return ngettext("%(num)s course", "%(num)s courses", n)
    return ngettext("%(num)s module", "%(num)s modules", n)


def live_context() -> dict[str, Any]:
    """``live.js`` starts a fresh tab's stream after the newest award and the newest
    standing change (revocation, restore) the page was built with."""
    if not current_user.is_authenticated:
        return {}
    return {"live_latest_id": latest_award_id(current_user.id),
            "live_latest_change": latest_change_id(current_user.id)}


def nav_section() -> str:
    return NAV_SECTIONS.get(request.endpoint or "", "")


def install(app: Flask) -> None:
    app.context_processor(live_context)
    app.jinja_env.globals.update(badge_src=badge_src, badge_alt=badge_alt,
                                 badge_name=badge_name, level_badge=level_badge,
                                 award_facts=award_facts, nav_section=nav_section)
