"""SAML 2.0 pages: ``/saml/metadata`` (give it to the identity team), ``/saml/login`` and
the assertion consumer service ``/saml/acs``. The ACS is posted cross-site by the IdP's
page, without our session or a CSRF token (app.web exempts it): the open request it
answers, kept server-side by ``app.services.signin.saml``, is what proves it is ours."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app, redirect, request

from app.services.signin import SignInRefused
from app.services.signin.saml import SamlSettings, SamlSP
from app.web.auth import safe_next
from app.web.signin import finish_sign_in, refused_page

bp = Blueprint("saml", __name__)
ACS_PATH = "/saml/acs"


def init_saml(app: Flask) -> None:
    """The SP when ``SAML_IDP_METADATA`` is set; otherwise every SAML page is 404."""
    config = app.config
    if config.get("SAML_IDP_METADATA"):
        app.extensions["saml"] = SamlSP(SamlSettings(
            public_url=config["PUBLIC_URL"], idp_metadata=config["SAML_IDP_METADATA"],
            key_file=config.get("SAML_SP_KEY_FILE"), cert_file=config.get("SAML_SP_CERT_FILE"),
            role_attribute=config.get("SAML_ROLE_ATTRIBUTE") or "eduPersonAffiliation",
            roles=dict(config.get("SAML_ROLES") or {}), name=config.get("ISSUER_NAME", "")))
    app.register_blueprint(bp)


def _sp() -> SamlSP:
    sp = current_app.extensions.get("saml")
    if sp is None:
        abort(404)
    return sp


@bp.get("/saml/metadata")
def metadata() -> Response:
    try:
        return Response(_sp().metadata(), mimetype="application/samlmetadata+xml")
    except SignInRefused as exc:
        return refused_page(exc)


@bp.get("/saml/login")
def login() -> Response:
    try:
        return redirect(_sp().start(safe_next(request.args.get("next"))))
    except SignInRefused as exc:
        return refused_page(exc)


@bp.post(ACS_PATH)
def acs() -> Response:
    try:
        claims, role, next_url = _sp().finish(request.form.get("SAMLResponse", ""),
                                              request.form.get("RelayState", ""))
    except SignInRefused as exc:
        return refused_page(exc)
    return finish_sign_in(claims, role, "saml", next_url)
