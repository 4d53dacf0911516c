"""Web transports: the REST API (/api/v1), the learner pages and log-in.

Request policy shared by every route lives here: CSRF on cookie-authenticated
writes, JSON-only API bodies, and problem+json for every error.
"""

from __future__ import annotations

from flask import Flask, Request, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.exceptions import UnsupportedMediaType

from app import extensions
from app.web.lti.framing import framed_session, note_framed_cookie
from app.web.problems import register_problem_handlers
from app.web.security_headers import REDOC_URL, init_security_headers

API_SETTINGS = {
    "API_TITLE": "Learner Achievements API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_REDOC_PATH": "docs",
    "OPENAPI_REDOC_URL": REDOC_URL,  # same origin, from a PyPI package (security_headers)
}
XAPI_PREFIX = "/xapi/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LTI_CROSS_SITE_POSTS = frozenset({"/lti/login", "/lti/launch"})


def init_web(app: Flask) -> None:
    for key, value in API_SETTINGS.items():
        app.config.setdefault(key, value)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config.get("SESSION_COOKIE_SECURE"))
    from app.web.api import register_api
    from app.web.auth import bp as auth_bp
    from app.web.console import init_console
    from app.web.lti import init_lti
    from app.web.observability import init_observability
    from app.web.openbadges import bp as openbadges_bp
    from app.web.pages import bp as pages_bp
    from app.web.saml import init_saml
    from app.web.signin import init_signin, oidc_buttons, provider_logout
    from app.web.xapi import register_xapi

    # Errors are documented per operation as problem+json (app.web.api.docs), not as
    # flask-smorest's generic JSON error.
    extensions.api.DEFAULT_ERROR_RESPONSE_NAME = None
    init_observability(app)  # first: every later hook's refusal is counted and logged
    extensions.api.init_app(app)
    register_api(extensions.api)
    register_xapi(extensions.api)
    app.register_blueprint(auth_bp)
    init_signin(app)
    init_saml(app)
    init_lti(app)
    app.jinja_env.globals["signin_providers"] = oidc_buttons
    app.jinja_env.globals["provider_logout"] = provider_logout
    app.register_blueprint(pages_bp)
    app.register_blueprint(openbadges_bp)
    init_console(app)
    register_problem_handlers(app)
    init_security_headers(app)
    app.before_request(_csrf_unless_bearer)
    app.before_request(_json_bodies_only)
    app.session_interface = CookieSessions()


class CookieSessions(SecureCookieSessionInterface):
    """Flask's cookie sessions, but a request without the cookie (a bearer-token API call)
    gets its empty session without building the signing serializer, which Flask does
    first on every request (a few percent of a history read). Same result either way."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        opened = super().open_session(app, request)
        note_framed_cookie(opened)
        return opened

    def get_cookie_samesite(self, app: Flask) -> str | None:
        """``None`` for a session an LTI launch started: its pages live in the LMS's frame,
        where every request of ours is cross-site (app.web.lti.framing)."""
        return "None" if framed_session() else super().get_cookie_samesite(app)

    def get_cookie_secure(self, app: Flask) -> bool:
        return True if framed_session() else super().get_cookie_secure(app)

    def get_cookie_partitioned(self, app: Flask) -> bool:
        """Partitioned (CHIPS) too: kept in the LMS's frame where third-party cookies are
        blocked."""
        return True if framed_session() else super().get_cookie_partitioned(app)


def _is_api(path: str) -> bool:
    return path.startswith("/api/")


def _csrf_unless_bearer() -> None:
    """Cookie-authenticated writes need a CSRF token (form field or X-CSRFToken header).

    Only API calls with a bearer token are exempt: a browser never attaches one
    by itself, so a forged cross-site request cannot carry it.
    """
    if request.method in SAFE_METHODS or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if request.path.startswith(XAPI_PREFIX):
        return  # only a service token authenticates there, never the session cookie
    if request.path == "/saml/acs":
        return  # the IdP's page posts it cross-site; the open SAML request is the proof
    if request.path in LTI_CROSS_SITE_POSTS:
        return  # the platform posts them; the signed state and its browser cookie are the proof
    if request.path.startswith("/notifications/unsubscribe/"):
        return  # RFC 8058: the signed token is the proof; mail clients post without a session
    if _is_api(request.path) and (_has_bearer() or not current_user.is_authenticated):
        return  # no cookie authenticates this call: it is a bearer call or a 401
    extensions.csrf.protect()


def _has_bearer() -> bool:
    return request.headers.get("Authorization", "")[:7].lower() == "bearer "


def _json_bodies_only() -> None:
    """An API write with a body that is not JSON is refused (415) before parsing."""
    if request.method in SAFE_METHODS or not _is_api(request.path):
        return
    has_body = bool(request.content_length) or "chunked" in request.headers.get(
        "Transfer-Encoding", "")
    if has_body and not request.is_json:
        raise UnsupportedMediaType("the request body must be application/json")
