"""The public badge page (/badges/<public id>, no login) and the learner's Share toggle.

The public page is what a shared link opens: the badge, what it certifies, who
issued it and whether it still verifies, with OpenGraph and Twitter card tags
so the link previews well, and the ways to take it elsewhere (LinkedIn, the
baked PNG, the signed credential, the JSON documents).
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from app.errors import Conflict, NotFound
from app.read.wording import public_badge_text
from app.services.accounts import Principal
from app.services.credentials import set_sharing
from app.services.credentials.public import BadgePage, badge_page
from app.web.localized import current_locale
from app.web.pages import ActionForm, bp


@bp.route("/badges/<public_id>")
def public_badge(public_id: str) -> Response:
    try:
        page = badge_page(public_id)
    except NotFound:
        abort(404)
    response = Response(render_template("public_badge.html", page=page, text=_words(page)))
    response.headers["Cache-Control"] = "public, no-cache"  # an unshare shows at once
    return response


def _words(page: BadgePage) -> dict[str, str]:
    """The page's built-in words in the visitor's language, in the third person (an
    author's badge text stays as written)."""
    stored = {"title": page.award.title, "description": page.award.description,
              "name": page.badge.name, "criteria": page.badge.criteria}
    return public_badge_text(page.award.type, page.award.meta, stored, current_locale())


@bp.route("/achievements/<int:award_id>/sharing", methods=["POST"])
@login_required
def share_award(award_id: int) -> BaseResponse:
    """The Share panel's button: ``public=1`` shares, ``public=0`` stops sharing."""
    if not ActionForm().validate_on_submit():
        abort(400)
    public = request.form.get("public") == "1"
    principal = Principal.user(current_user.id, current_user.role, current_user.email)
    try:
        set_sharing(award_id, principal, public)
    except NotFound:
        abort(404)
    except Conflict as exc:
        flash(exc.detail)
    else:
        flash(_("Shared: anyone with the link can now see and verify this badge.") if public
              else _("No longer shared: its public links now answer “not found”."))
    return redirect(url_for("pages.achievement_detail", award_id=award_id))
