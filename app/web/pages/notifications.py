"""Notification settings, one-click unsubscribe (RFC 8058) and Web Push subscriptions.

The unsubscribe URL works without logging in: its signed token is the proof, and it
can change only the one switch it names. GET shows a confirmation (link scanners
follow GETs); POST, from the page or straight from a mail client's one-click button
(``List-Unsubscribe=One-Click``), turns that email category off.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.errors import InvalidInput
from app.services.notifications.preferences import CATEGORIES, CHANNELS
from app.services.notifications.settings import (
    save_switches,
    subscribe_push,
    unsubscribe,
    unsubscribe_push,
)
from app.web.pages import ActionForm, bp

UNSUBSCRIBE_PREFIX = "/notifications/unsubscribe/"


@bp.post("/settings/notifications")
@login_required
def notification_settings() -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    chosen = {(category, channel) for category in CATEGORIES for channel in CHANNELS
              if request.form.get(f"{category}.{channel}")}
    save_switches(current_user.id, chosen)
    flash(_("Your notification settings are saved."))
    return redirect(url_for("pages.settings") + "#notifications")


@bp.route(UNSUBSCRIBE_PREFIX + "<token>", methods=["GET", "POST"])
def unsubscribe_email(token: str) -> tuple[str, int]:
    named = unsubscribe(token, apply=request.method == "POST")
    if named is None:
        return render_template("errors/404.html"), 404
    return render_template("unsubscribe.html", category=named[1],
                           done=request.method == "POST"), 200


@bp.post("/settings/push")
@login_required
def push_subscribe() -> tuple[Response, int]:
    try:
        subscribe_push(current_user.id, request.get_json(silent=True))
    except InvalidInput as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(subscribed=True), 201


@bp.post("/settings/push/remove")
@login_required
def push_unsubscribe() -> tuple[Response, int]:
    body = request.get_json(silent=True) or {}
    unsubscribe_push(current_user.id, str(body.get("endpoint", "")))
    return jsonify(subscribed=False), 200
