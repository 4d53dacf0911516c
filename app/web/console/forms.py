"""The badge form as the console posts it, turned into a definition for the service;
the builder's widgets in the page's language and its choices (the modules, units,
courses, assessments and awards of the courses this author may see); and a refused
form's problems in words."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from app.domain.badge_art import DEFAULT
from app.domain.criteria import builder_spec
from app.domain.state import CatalogView, CourseInfo
from app.errors import InvalidInput
from app.models import Badge
from app.services.accounts import Principal
from app.services.badges.images import MAX_BYTES, upload_image

FIELD_WORDS = {"key": _l("Key"), "title": _l("Title"), "description": _l("Description"),
               "hidden": _l("Hidden"), "expires_after_days": _l("Expires after"),
               "image": _l("Image"), "criteria": _l("Criteria")}


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


def echo(current_image: dict[str, Any] | None = None) -> dict[str, Any]:
    """The posted form as typed, to show it again with its errors. An upload is never
    echoed: the badge keeps (and shows) the image it had."""
    form = request.form
    return {"key": form.get("key", ""), "title": form.get("title", ""),
            "description": form.get("description", ""), "hidden": form.get("hidden") == "1",
            "expires_after_days": form.get("expires_after_days") or None,
            "criteria": form.get("criteria", ""), "image": _echoed_image(current_image or {})}


def _echoed_image(current: dict[str, Any]) -> dict[str, Any]:
    choice = request.form.get("image_kind", "design")
    if choice == "upload":
        return current
    if choice == "default":
        return {}
    return {name: request.form.get(name, DEFAULT[name]) for name in ("design", "color", "glyph")}


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
        return {"upload": _uploaded(principal, file).id}
    if choice == "upload" and "upload" in current:
        return current  # keep the image uploaded before
    if choice == "default":
        return {}
    return {name: request.form.get(name, DEFAULT[name]) for name in ("design", "color",
                                                                      "glyph")}


def _uploaded(principal: Principal, file: FileStorage) -> Any:
    """Store the upload, or refuse it saying why in the author's words: its real size
    against the limit (measured without reading a large file into memory), or its type."""
    size = file_size(file)
    if size > MAX_BYTES:
        raise image_refused(too_big(size))
    try:
        return upload_image(principal, file.read())
    except InvalidInput as exc:
        why = "; ".join(exc.fields.get("image", [])) or exc.detail
        raise image_refused(_("“%(name)s” could not be used (%(why)s). Upload a PNG or SVG "
                              "image from 16 to 1024 pixels wide.",
                              name=file.filename, why=why)) from exc


def file_size(file: FileStorage) -> int:
    stream = file.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def too_big(size: int) -> str:
    return _("The image is %(size)s; the limit is %(limit)s KB.", size=in_kb(size),
             limit=MAX_BYTES // 1024)


def in_kb(size: int) -> str:
    """A size as people read it: KB below a megabyte, MB above (1 KB = 1024 bytes, as the
    limit is)."""
    if size >= 1024 * 1024:
        megabytes = f"{size / (1024 * 1024):.1f}"  # outside _(): babel reads f-strings there
        return _("%(n)s MB", n=megabytes)
    return _("%(n)s KB", n=max(1, round(size / 1024)))


def image_refused(message: str) -> InvalidInput:
    return InvalidInput(_("The image was refused, so nothing was saved."),
                        fields={"image": [message]})


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


def builder_widgets() -> list[dict[str, Any]]:
    """The registry's widgets with their labels and hints in the page's language."""
    return [{**widget, "label": _(widget["label"]),
             "fields": [{**f, "label": _(f["label"]), "hint": _(f["hint"]) if f["hint"] else ""}
                        for f in widget["fields"]]}
            for widget in builder_spec()]


def problems_in_words(fields: dict[str, list[str]]) -> list[tuple[str, str, str | None]]:
    """A refused form's problems as (field, what to do, where in the criteria JSON): a
    criterion's problem is its field's hint ("Choose a module"); the JSON path stays as a
    pointer for authors who edit the JSON."""
    hints = {f["name"]: f["hint"] for w in builder_widgets() for f in w["fields"] if f["hint"]}
    lines = []
    for path, messages in fields.items():
        top = path.split(".", 1)[0].split("[", 1)[0]
        word = str(FIELD_WORDS.get(top, top.replace("_", " ").capitalize()))
        if top == "criteria" and path != "criteria":
            name = path.rsplit(".", 1)[-1].split("[", 1)[0]
            lines.append((word, hints.get(name) or "; ".join(messages), path))
        else:
            lines.append((word, "; ".join(messages), None))
    return lines
