"""REST API v1: thin flask-smorest blueprints over the domain packages."""

from __future__ import annotations

from flask_smorest import Api


def register_api(api: Api) -> None:
    from app.web.api.achievements import blp as achievements_blp
    from app.web.api.progress import blp as progress_blp

    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "service token"})
    api.spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "cookie", "name": "session"})
    for blueprint in (progress_blp, achievements_blp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
