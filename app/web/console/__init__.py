"""The instructor console under /console: author badges, see a course's achievements,
revoke and restore awards, read the audit log.

Progressive enhancement: every form posts and redirects without JavaScript;
``static/console.js`` adds the criteria builder, the live art preview and the
"N learners would earn this now" count. Who may do what is the services' call
(:mod:`app.services.teaching`, :mod:`app.services.badges`); the views only turn
their refusals into pages: anonymous → log in, learners → 403, others' courses
and badges → 404.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.services.accounts import Principal
from app.services.teaching import require_staff

bp = Blueprint("console", __name__, url_prefix="/console")
# A badge form's body limit, well above the image limit (256 KiB): an image too large is
# then read and refused with its size while the form is shown again as typed; only a body
# beyond this is refused unread (a 413 page with the form as stored: console/badges.py).
UPLOAD_LIMIT = 4 * 1024 * 1024
UPLOAD_ENDPOINTS = {"console.new_badge", "console.edit_badge"}


def principal() -> Principal:
    return Principal.user(current_user.id, current_user.role, current_user.email)


@bp.url_value_preprocessor
def _allow_uploads(endpoint: str | None, values: dict | None) -> None:
    """Badge forms carry an image: raise the body limit for them alone. This runs before
    the app's CSRF check reads the form (url value preprocessors come first)."""
    if endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        request.max_content_length = UPLOAD_LIMIT


@bp.before_request
@login_required
def _staff_only() -> None:
    require_staff(principal())


def _forbidden(error: Forbidden) -> tuple[str, int]:
    return render_template("console/error.html", title=_("Not allowed"), detail=error.detail), 403


def _not_found(error: Exception) -> tuple[str, int]:
    return render_template("errors/404.html"), 404


def _invalid(error: InvalidInput) -> tuple[str, int]:
    """Input a console form could not take (most views show it beside the form; this is
    the net for the rest): a page in words, never a problem+json body in the browser."""
    return render_template("console/error.html", title=_("Not done"),
                           detail=error.detail), 422


def _conflict(error: Conflict) -> tuple[str, int]:
    return render_template("console/error.html", title=_("Not possible now"),
                           detail=error.detail), 409


bp.register_error_handler(Forbidden, _forbidden)
bp.register_error_handler(NotFound, _not_found)
bp.register_error_handler(404, _not_found)
bp.register_error_handler(Conflict, _conflict)
bp.register_error_handler(InvalidInput, _invalid)


def init_console(app: Flask) -> None:
    from app.read.shapes import badge_url
    from app.web.console.art import bp as art_bp

    app.register_blueprint(bp)
    app.register_blueprint(art_bp)
    app.jinja_env.globals["badge_url"] = badge_url  # the badge macro: an award's own art


from app.web.console import (  # noqa: E402,F401  (register the views)
    audit,
    awarding,
    badges,
    courses,
    exports,
    lti_platforms,
)
