"""Web transports: the REST API (/api/v1), the learner pages and log-in."""

from __future__ import annotations

from flask import Flask, request

from app import extensions
from app.web.problems import register_problem_handlers

API_SETTINGS = {
    "API_TITLE": "Learner Achievements API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_REDOC_PATH": "docs",
    "OPENAPI_REDOC_URL": "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js",
}


def init_web(app: Flask) -> None:
    for key, value in API_SETTINGS.items():
        app.config.setdefault(key, value)
    from app.web.api import register_api
    from app.web.auth import bp as auth_bp
    from app.web.pages import bp as pages_bp

    extensions.api.init_app(app)
    register_api(extensions.api)
    app.register_blueprint(auth_bp)
    app.register_blueprint(pages_bp)
    register_problem_handlers(app)
    app.before_request(_csrf_unless_bearer)


def _csrf_unless_bearer() -> None:
    """Every cookie-authenticated write needs a CSRF token; bearer-token calls carry no cookie."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return
    extensions.csrf.protect()
