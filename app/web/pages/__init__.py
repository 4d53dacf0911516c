"""Learner pages: server-rendered Jinja, progressively enhanced by small scripts.

Every page works without JavaScript (forms post and redirect, the history
filters through a GET form with keyset pagination links); ``live.js`` adds the
live celebrations and in-place module completion on top.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError

bp = Blueprint("pages", __name__)


class ActionForm(FlaskForm):
    """An empty form: it carries the CSRF token of a one-button action."""


def _not_found(error: Exception) -> tuple[str, int]:
    return render_template("errors/404.html"), 404


def _csrf_failed(error: CSRFError) -> tuple[str, int]:
    return render_template("errors/csrf.html"), 400


bp.register_error_handler(404, _not_found)
bp.register_error_handler(CSRFError, _csrf_failed)


@bp.record_once
def _install_template_helpers(state: object) -> None:
    from app.web.pages.display import install

    app: Flask = state.app  # type: ignore[attr-defined]
    install(app)


from app.web.pages import (  # noqa: E402,F401  (register the views)
    badges,
    dashboard,
    history,
    notifications,
    player,
    settings,
)
