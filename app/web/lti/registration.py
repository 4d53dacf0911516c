"""LTI Dynamic Registration 1.0: ``/lti/register``, the URL an administrator pastes into
Moodle 4.x or Canvas. The LMS opens it (framed) with ``openid_configuration`` and
``registration_token``, added to the URL's ``invite`` (made in the console; without a
usable one: 403, no outgoing request); the page registers us and posts
``org.imsglobal.lti.close`` to the LMS. The platform waits, pending, for an
administrator's confirmation in the console (``app.web.console.lti_platforms``).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.errors import Conflict, Forbidden, InvalidInput
from app.services.lti import dynamic_registration
from app.services.lti.calls import PlatformError
from app.web.lti import bp
from app.web.lti.framing import allow_frame_ancestor

log = logging.getLogger(__name__)


@bp.route("/register")
def register() -> ResponseReturnValue:
    """Register with the platform that opened this page; every outcome is a page in words."""
    config_url = request.args.get("openid_configuration", "")
    _frame_for(config_url)
    settings = current_app.config
    tool = dynamic_registration.Tool(
        public_url=settings["PUBLIC_URL"], name=settings["ISSUER_NAME"],
        logo_url=settings["PUBLIC_URL"] + url_for("static", filename="badges/high_score.svg"))
    try:
        platform = dynamic_registration.register(
            request.args.get("invite"), config_url,
            request.args.get("registration_token") or None, tool)
    except Forbidden:
        return _failed(_uninvited(), 403)
    except InvalidInput as error:
        return _failed(error.detail, 400)
    except Conflict as error:
        return _failed(error.detail, 409)
    except PlatformError as error:
        log.warning("lti dynamic registration failed: %s", error)
        return _failed(_("The answers of the LMS could not be used: %(why)s", why=str(error)), 502)
    log.info("lti platform registered, pending", extra={"lti_platform": platform.id})
    return render_template("lti/registered.html", platform=platform)


def _frame_for(config_url: str) -> None:
    """The LMS frames this page: allow the origin that opened it (the page only reports)."""
    parts = urlsplit(config_url)
    if parts.scheme == "https" and parts.netloc:
        allow_frame_ancestor(f"https://{parts.netloc}")


def _uninvited() -> str:
    """The refusal of a URL without a usable invite, saying where to get one."""
    return _("This registration URL has no valid invitation: it is missing, expired (an "
             "invitation lasts 7 days) or already used. Ask the administrator of %(service)s "
             "for a registration URL.", service=current_app.config["ISSUER_NAME"])


def _failed(reason: str, status: int) -> ResponseReturnValue:
    return render_template("lti/registration_failed.html", reason=reason), status
