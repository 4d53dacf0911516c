"""Console pages for badges: the list, create and edit (a new version) with the criteria
builder, publish (optionally notifying), archive, and the builder's live count."""

from __future__ import annotations

import json
from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from app.domain.badge_art import DEFAULT, GLYPHS, SHAPES, image_path
from app.domain.criteria import builder_spec
from app.errors import InvalidInput
from app.infra.caches.catalog import catalog
from app.models import Badge
from app.services.badges import (
    archive_badge,
    badge_as_dict,
    create_badge,
    get_badge,
    list_badges,
    preview_badge,
    publish_badge,
    update_badge,
)
from app.services.teaching import visible_courses
from app.web.console import bp, principal
from app.web.console.forms import builder_choices, definition_from_form, echo

EMPTY = {"key": "", "title": "", "description": "", "hidden": False, "image": DEFAULT,
         "expires_after_days": None, "criteria": {"all": []}}


@bp.route("/")
def home() -> str:
    return render_template("console/home.html", courses=visible_courses(principal()),
                           badges=list_badges(principal()))


@bp.route("/badges")
def badges() -> str:
    return render_template("console/badges.html", badges=list_badges(principal()),
                           image_path=image_path)


@bp.route("/badges/new", methods=["GET", "POST"])
def new_badge() -> str | Response | tuple[str, int]:
    if request.method == "GET":
        return _form(EMPTY, None)
    try:
        badge = create_badge(principal(), definition_from_form(principal()))
    except InvalidInput as exc:
        return _form(echo(), None, exc), 422
    flash(_("Draft “%(title)s” saved. It awards nothing until you publish it.",
            title=badge.latest.title))
    return redirect(url_for("console.edit_badge", key=badge.key))


@bp.route("/badges/<key>", methods=["GET", "POST"])
def edit_badge(key: str) -> str | Response | tuple[str, int]:
    badge = get_badge(principal(), key)
    if request.method == "GET":
        return _form(badge_as_dict(badge), badge)
    try:
        update_badge(principal(), key,
                     definition_from_form(principal(), key, badge.latest.image or {}))
    except InvalidInput as exc:
        return _form({**echo(), "key": key}, badge, exc), 422
    flash(_("Saved as version %(v)s. Publish it to award it.", v=badge.latest.version))
    return redirect(url_for("console.edit_badge", key=key))


@bp.route("/badges/<key>/publish", methods=["POST"])
def publish(key: str) -> Response:
    result = publish_badge(principal(), key, notify=request.form.get("notify") == "1")
    flash(ngettext("Published version %(v)s: %(num)s learner earned it now.",
                   "Published version %(v)s: %(num)s learners earned it now.",
                   result["awarded"], v=result["version"]))
    return redirect(url_for("console.edit_badge", key=key))


@bp.route("/badges/<key>/archive", methods=["POST"])
def archive(key: str) -> Response:
    archive_badge(principal(), key)
    flash(_("Archived: it awards nothing more; its awards stay."))
    return redirect(url_for("console.edit_badge", key=key))


@bp.route("/badges/preview", methods=["POST"])
def preview() -> tuple[Response, int]:
    """The builder's live count: how many learners would earn this definition now."""
    try:
        return jsonify(preview_badge(principal(), request.get_json(silent=True))), 200
    except InvalidInput as exc:
        return jsonify({"detail": exc.detail, "errors": exc.fields}), 422


def _form(body: dict[str, Any], badge: Badge | None,
          error: InvalidInput | None = None) -> str:
    courses = visible_courses(principal())
    choices = builder_choices(catalog().view, courses, list_badges(principal()))
    return render_template(
        "console/badge_form.html", body=body, badge=badge, error=error,
        criteria_json=body["criteria"] if isinstance(body.get("criteria"), str)
        else json.dumps(body.get("criteria"), indent=2),
        widgets=builder_spec(), choices=choices, designs=list(SHAPES), glyphs=list(GLYPHS),
        image=body.get("image") or {}, image_path=image_path)
