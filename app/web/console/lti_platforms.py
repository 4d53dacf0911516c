"""Console page for administrators: LMS platforms that registered themselves by LTI
Dynamic Registration wait here, pending, until confirmed (launches accepted from then on)
or rejected (removed). Registered ones are listed too, for the record. The registration URL
an LMS administrator pastes is made here too: it carries an invite (``invites``) that
works once, for 7 days."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from app.errors import Forbidden
from app.services.lti.invites import create_invite
from app.services.lti.registrations import (
    confirm_platform,
    deployments_of,
    list_platforms,
    remove_platform,
)
from app.web.console import bp, principal


def _admin_only() -> None:
    if principal().kind != "admin":
        raise Forbidden("only administrators manage LMS platforms")


@bp.route("/lti-platforms")
def lti_platforms() -> str:
    _admin_only()
    return _page(invite_url=None)


@bp.route("/lti-platforms/invite", methods=["POST"])
def invite_lti_platform() -> str:
    """A new registration URL, shown once on the page (a POST: it makes a credential)."""
    _admin_only()
    path = url_for("lti.register", invite=create_invite())
    return _page(invite_url=current_app.config["PUBLIC_URL"].rstrip("/") + path)


def _page(invite_url: str | None) -> str:
    platforms = list_platforms()
    return render_template("console/lti_platforms.html", invite_url=invite_url,
                           pending=[p for p in platforms if p.status == "pending"],
                           active=[p for p in platforms if p.status != "pending"],
                           deployments={p.id: deployments_of(p.id) for p in platforms})


@bp.route("/lti-platforms/<int:platform_id>/confirm", methods=["POST"])
def confirm_lti_platform(platform_id: int) -> BaseResponse:
    _admin_only()
    platform = confirm_platform(platform_id)
    flash(_("%(name)s confirmed: launches from it are accepted.", name=platform.name))
    return redirect(url_for("console.lti_platforms"))


@bp.route("/lti-platforms/<int:platform_id>/reject", methods=["POST"])
def reject_lti_platform(platform_id: int) -> BaseResponse:
    _admin_only()
    platform = remove_platform(platform_id)
    flash(_("%(name)s rejected and removed.", name=platform.name))
    return redirect(url_for("console.lti_platforms"))
