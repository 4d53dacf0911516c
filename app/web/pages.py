"""Learner pages: the dashboard with achievements and the demo course player."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.achievements.queries import HistoryFilter, list_achievements
from app.extensions import db
from app.models import Course, Module, ModuleCompletion
from app.progress import ProgressInput, record_progress

bp = Blueprint("pages", __name__)


class ActionForm(FlaskForm):
    """An empty form: it carries the CSRF token of a one-button action."""


@bp.route("/")
@login_required
def dashboard() -> str:
    page = list_achievements(current_user.id, HistoryFilter(), limit=20)
    courses = db.session.scalars(select(Course).order_by(Course.id)).all()
    done = set(db.session.scalars(
        select(ModuleCompletion.module_id).where(ModuleCompletion.user_id == current_user.id)))
    return render_template("dashboard.html", awards=page.items, courses=courses, done=done,
                           form=ActionForm())


@bp.route("/modules/<key>/complete", methods=["POST"])
@login_required
def complete_module(key: str) -> Response:
    """The demo player's "complete" button: records progress as the learner themself."""
    module = db.session.scalar(select(Module).where(Module.key == key))
    if module is None:
        abort(404)
    result = record_progress(ProgressInput(
        user_id=current_user.id, kind="module_completed", occurred_at=None,
        idempotency_key=f"web:{uuid.uuid4()}", module=key, source="web",
    ))
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"event_id": result.event.id})
    return redirect(url_for("pages.dashboard"))
