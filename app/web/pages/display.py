"""Template helpers: badge art lookup, type labels, local times and award facts.

The badge files are the single source of their text alternative: each SVG's
``<title>`` is read once (``app.services.credentials.art``) and used as the ``alt``
of every ``<img>``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, request, url_for
from flask_login import current_user

from app.domain.registry import RULES
from app.models import Achievement
from app.read.learner_state import learner_zone
from app.read.live import latest_award_id
from app.read.shapes import badge_name
from app.services.credentials.art import badge_file, badge_titles

NAV_SECTIONS = {"pages.dashboard": "dashboard", "pages.history": "history",
                "pages.achievement_detail": "history", "pages.courses": "learn",
                "pages.course_player": "learn", "pages.quiz": "learn"}
FACTS = (("course_title", "Course"), ("unit_title", "Unit"), ("module_title", "Module"),
         ("assessment_title", "Assessment"))


def badge_src(name: str) -> str:
    return url_for("static", filename=f"badges/{badge_file(name)}.svg")


def badge_alt(name: str) -> str:
    return badge_titles()[badge_file(name)]


def level_badge(key: str) -> str:
    """Badge stem of a locked level key: ``streak:7`` → ``streak-7``."""
    return key.replace(":", "-")


def type_label(kind: str) -> str:
    spec = RULES.get(kind)
    return spec.title if spec else kind.replace("_", " ").capitalize()


def localtime(value: datetime | None, fmt: str = "%-d %b %Y, %H:%M") -> str:
    if value is None:
        return ""
    zone = learner_zone(getattr(current_user, "timezone", None) or "UTC")
    return value.astimezone(zone).strftime(fmt)


def award_facts(award: Achievement) -> list[tuple[str, str]]:
    """What the award was for, as label/value rows for the detail page."""
    meta: dict[str, Any] = award.meta or {}
    rows = [(label, str(meta[key])) for key, label in FACTS if meta.get(key)]
    if "score" in meta and "max_score" in meta:
        rows.append(("Score", f"{meta['score']:g} of {meta['max_score']:g}"))
    if award.achievement_type == "streak" and meta.get("days"):
        rows.append(("Streak", f"{meta['days']} days in a row"))
    if award.achievement_type == "milestone" and meta.get("threshold"):
        rows.append(("Count", f"{meta['threshold']} {meta.get('counter', 'modules')}"))
    return rows


def live_context() -> dict[str, Any]:
    """``live.js`` starts a fresh tab's stream after the newest award the page was built with."""
    if not current_user.is_authenticated:
        return {}
    return {"live_latest_id": latest_award_id(current_user.id)}


def nav_section() -> str:
    return NAV_SECTIONS.get(request.endpoint or "", "")


def install(app: Flask) -> None:
    app.context_processor(live_context)
    app.jinja_env.globals.update(badge_src=badge_src, badge_alt=badge_alt,
                                 badge_name=badge_name, level_badge=level_badge,
                                 type_label=type_label, award_facts=award_facts,
                                 nav_section=nav_section)
    app.jinja_env.filters["localtime"] = localtime
