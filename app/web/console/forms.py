"""The badge form as the console posts it, turned into a definition for the service;
and the builder's choices: the modules, units, courses, assessments and awards of the
courses this author may see."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from app.domain.badge_art import DEFAULT
from app.domain.state import CatalogView, CourseInfo
from app.errors import InvalidInput
from app.models import Badge
from app.services.accounts import Principal
from app.services.badges.images import upload_image


def definition_from_form(principal: Principal, key: str | None = None,
                         current_image: dict[str, Any] | None = None) -> dict[str, Any]:
    """The posted form as a badge definition (an uploaded image is stored first)."""
    form = request.form
    body: dict[str, Any] = {
        "key": key or form.get("key", "").strip(),
        "title": form.get("title", ""), "description": form.get("description", ""),
        "hidden": form.get("hidden") == "1", "criteria": _criteria(form.get("criteria", "")),
        "expires_after_days": _days(form.get("expires_after_days", "")),
    }
    body["image"] = _image(principal, request.files.get("upload"), current_image or {})
    return body


def echo() -> dict[str, Any]:
    """The posted form as typed, to show it again with its errors."""
    form = request.form
    image = {name: form.get(name, DEFAULT[name]) for name in ("design", "color", "glyph")}
    return {"key": form.get("key", ""), "title": form.get("title", ""),
            "description": form.get("description", ""), "hidden": form.get("hidden") == "1",
            "expires_after_days": form.get("expires_after_days") or None,
            "criteria": form.get("criteria", ""), "image": image}


def _criteria(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidInput("criteria are not valid JSON",
                           fields={"criteria": [f"not JSON: {exc}"]}) from exc


def _days(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput("invalid expiry", fields={"expires_after_days": ["a whole number"]})
    return int(text)


def _image(principal: Principal, file: FileStorage | None,
           current: dict[str, Any]) -> dict[str, Any]:
    choice = request.form.get("image_kind", "design")
    if choice == "upload" and file is not None and file.filename:
        return {"upload": upload_image(principal, file.read()).id}
    if choice == "upload" and "upload" in current:
        return current  # keep the image uploaded before
    if choice == "default":
        return {}
    return {name: request.form.get(name, DEFAULT[name]) for name in ("design", "color",
                                                                      "glyph")}


def builder_choices(view: CatalogView, courses: list[CourseInfo], badges: list[Badge]
                    ) -> dict[str, list[tuple[str, str]]]:
    """What each widget field picks from, limited to the author's courses."""
    keys = {c.key for c in courses}
    units = [view.units[u] for c in courses for u in c.unit_keys]
    modules = [view.modules[m] for u in units for m in u.module_keys]
    assessments = [a for a in view.assessments.values() if a.course_key in keys]
    awards = [(f"course_complete:{c.key}", _("Course completed: %(title)s", title=c.title))
              for c in courses]
    awards += [(f"unit_complete:{u.key}", _("Unit completed: %(title)s", title=u.title))
               for u in units]
    awards += [(f"high_score:{a.key}", _("High score: %(title)s", title=a.title))
               for a in assessments]
    awards += [(f"badge:{b.key}", _("Badge: %(title)s", title=b.latest.title)) for b in badges]
    return {"course": [(c.key, c.title) for c in courses],
            "unit": [(u.key, u.title) for u in units],
            "module": [(m.key, m.title) for m in modules],
            "assessment": [(a.key, a.title) for a in assessments], "badge": awards}
