"""Security headers on every response (Flask-Talisman), and the API docs served same-origin.

The policy allows scripts, styles, images and connections from this origin only:
no inline scripts or event handlers anywhere (pages load their behaviour from
``static/*.js``), and no page may be framed (``frame-ancestors 'none'``, clickjacking).
The Redoc bundle comes from a PyPI package (``openapi-ui-bundles``) under
``/vendor/redoc``, so the docs page works offline and trusts no third-party script;
Redoc styles itself with generated ``<style>`` elements, so that page alone allows
inline styles (never inline scripts) and a blob: worker for its search.
HTTPS is forced only when ``FORCE_HTTPS`` is set: tests and the embedded demo run
plain HTTP.

One exception to ``frame-ancestors 'none'``: pages an LTI launch leads to are framed
by the LMS. A provider registered as ``app.extensions["frame_ancestors"]`` names,
per request, the origins that may frame the response (app.web.lti.framing: the
launching platform's, for that session only); ``extend_form_action`` lets one
response post a form to another origin (a deep-linking answer to the LMS).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, send_from_directory
from flask_talisman import Talisman
from openapi_ui_bundles.redoc import static_path as REDOC_DIR

SELF = "'self'"
CSP = {
    "default-src": SELF,
    "script-src": SELF,
    "style-src": SELF,
    "img-src": [SELF, "data:", "blob:"],  # blob: the console previews a chosen upload
    "font-src": SELF,
    "connect-src": SELF,
    "object-src": "'none'",
    "base-uri": SELF,
    "form-action": SELF,
    "frame-ancestors": "'none'",
}
DOCS_CSP = {**CSP, "style-src": [SELF, "'unsafe-inline'"], "worker-src": [SELF, "blob:"]}
DOCS_ENDPOINT = "api-docs.openapi_redoc"
REDOC_URL = "/vendor/redoc/redoc.standalone.js"

vendor = Blueprint("vendor", __name__)


@vendor.route("/vendor/redoc/<path:name>")
def redoc_asset(name: str) -> Response:
    """The packaged Redoc bundle (and its license), cached for a day."""
    return send_from_directory(REDOC_DIR, name, max_age=86400)


def init_security_headers(app: Flask) -> None:
    """Install the headers on every response; the docs page gets its own CSP."""
    app.register_blueprint(vendor)
    app.after_request(_frame_and_form_exceptions)  # after_request runs last-registered
    app.extensions["talisman"] = Talisman(        # first: this runs after Talisman's
        app,
        force_https=bool(app.config.get("FORCE_HTTPS")),
        strict_transport_security=bool(app.config.get("FORCE_HTTPS")),
        session_cookie_secure=bool(app.config.get("SESSION_COOKIE_SECURE")),
        frame_options="DENY",
        content_security_policy=CSP,
        referrer_policy="strict-origin-when-cross-origin",
        x_content_type_options=True,
    )
    docs_view = app.view_functions.get(DOCS_ENDPOINT)
    if docs_view is not None:
        app.view_functions[DOCS_ENDPOINT] = _with_policy(docs_view, DOCS_CSP)


def _with_policy(view: Callable[..., Any], policy: dict[str, Any]) -> Callable[..., Any]:
    """A wrapper carrying Talisman's per-view options (the docs view is a bound method,
    which takes no attributes; Talisman also fills in its defaults per app)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return view(*args, **kwargs)

    wrapped.talisman_view_options = {"content_security_policy": policy}  # type: ignore[attr-defined]
    return wrapped


def extend_form_action(origin: str) -> None:
    """Let this response's forms post to ``origin`` too (nothing else changes)."""
    g.extra_form_action = [*g.get("extra_form_action", []), origin]


def _frame_and_form_exceptions(response: Response) -> Response:
    """Rewrite the finished CSP for the two exceptions above; every other response keeps
    Talisman's policy untouched."""
    provider = current_app.extensions.get("frame_ancestors")
    ancestors = provider() if provider is not None else None
    extra = g.get("extra_form_action")
    header = response.headers.get("Content-Security-Policy")
    if not header or not (ancestors or extra):
        return response
    parts = dict(part.split(" ", 1) for part in header.split("; ") if " " in part)
    if ancestors:
        parts["frame-ancestors"] = " ".join(ancestors)
        response.headers.pop("X-Frame-Options", None)
    if extra:
        parts["form-action"] = " ".join([parts.get("form-action", SELF), *extra])
    response.headers["Content-Security-Policy"] = "; ".join(f"{k} {v}" for k, v in parts.items())
    return response
