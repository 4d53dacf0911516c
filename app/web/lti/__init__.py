"""LTI 1.3 transport: ``/lti/login``, ``/lti/launch``, ``/lti/jwks.json``, the
choose-course page (``views``); deep linking and dynamic registration pages are their
own modules on the same blueprint. Thin: parse the request, call app.services.lti,
render or redirect."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("lti", __name__, url_prefix="/lti")


def init_lti(app: Flask) -> None:
    """Routes of every LTI page module, then the framing rules for launched sessions."""
    from app.web.lti import deep_linking, registration, views  # noqa: F401  (their routes)
    from app.web.lti.framing import init_framing

    init_framing(app)
    app.register_blueprint(bp)
