"""Console pages for badges: the list, create and edit (a new version) with the criteria
builder, publish (optionally notifying), archive, and the builder's live count."""

from __future__ import annotations

import json
from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from app.domain.badge_art import DEFAULT, GLYPHS, SHAPES, image_path
from app.errors import DomainError, InvalidInput
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
from app.services.badges.images import MAX_BYTES
from app.services.badges.jobs import INLINE_LIMIT, learner_count, start_publish
from app.services.teaching import require_staff, visible_courses
from app.web.console import UPLOAD_ENDPOINTS, bp, principal
from app.web.console.forms import (
    builder_choices,
    builder_widgets,
    definition_from_form,
    echo,
    image_refused,
    in_kb,
    problems_in_words,
)

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
        return _form({**echo(badge.latest.image), "key": key}, badge, exc), 422
    flash(_("Saved as version %(v)s. Publish it to award it.", v=badge.latest.version))
    return redirect(url_for("console.edit_badge", key=key))


@bp.route("/badges/<key>/publish", methods=["POST"])
def publish(key: str) -> Response:
    """Publish and backfill; past INLINE_LIMIT learners a worker does it (a job page)."""
    notify = request.form.get("notify") == "1"
    if learner_count() > INLINE_LIMIT:
        job = start_publish(principal(), key, notify=notify, dry_run=False)
        return redirect(url_for("console.job", job_id=job.id))
    result = publish_badge(principal(), key, notify=notify)
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
def preview() -> Response:
    """The builder's live count: how many learners would earn this definition now. A
    definition still being written is an answer, not a failed request (200, ``valid``
    false, its problems by path): the builder asks while the author types."""
    try:
        return jsonify({"valid": True, **preview_badge(principal(),
                                                       request.get_json(silent=True))})
    except InvalidInput as exc:
        return jsonify({"valid": False, "detail": exc.detail, "errors": exc.fields})


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Response | tuple[str, int]:
    """A badge form whose body is over the upload limit cannot be read, so it cannot be
    shown as typed: show the form as stored, saying how large the upload was. Nothing was
    checked yet (the CSRF check was reading the form): so the staff check runs here."""
    if request.endpoint not in UPLOAD_ENDPOINTS or not current_user.is_authenticated:
        return error.get_response()
    try:
        require_staff(principal())
        badge = get_badge(principal(), request.view_args["key"]) \
            if request.view_args and "key" in request.view_args else None
    except DomainError:
        return error.get_response()
    refused = image_refused(_("The upload is %(size)s; an image may be at most %(limit)s KB.",
                              size=in_kb(request.content_length or 0),
                              limit=MAX_BYTES // 1024))
    return _form(badge_as_dict(badge) if badge else EMPTY, badge, refused), 413


def _form(body: dict[str, Any], badge: Badge | None,
          error: InvalidInput | None = None) -> str:
    courses = visible_courses(principal())
    choices = builder_choices(catalog().view, courses, list_badges(principal()))
    return render_template(
        "console/badge_form.html", body=body, badge=badge, error=error,
        criteria_json=body["criteria"] if isinstance(body.get("criteria"), str)
        else json.dumps(body.get("criteria"), indent=2),
        widgets=builder_widgets(), choices=choices, designs=list(SHAPES), glyphs=list(GLYPHS),
        image=body.get("image") or {}, image_path=image_path,
        problems=problems_in_words(error.fields or {}) if error else [], max_image=MAX_BYTES,
        many_learners=badge is not None and learner_count() > INLINE_LIMIT)
