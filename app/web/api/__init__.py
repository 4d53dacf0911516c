"""REST API v1: thin flask-smorest blueprints over the domain packages."""

from __future__ import annotations

from flask_smorest import Api

from app.web.api.docs import Problem


def register_api(api: Api) -> None:
    from app.web.api.achievements import blp as achievements_blp
    from app.web.api.badges import blp as badges_blp
    from app.web.api.health import blp as health_blp
    from app.web.api.insights import blp as insights_blp
    from app.web.api.progress import blp as progress_blp
    from app.web.api.users import blp as users_blp

    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "service token"})
    api.spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "cookie", "name": "session",
                    "description": "log in at /login; writes also need an X-CSRFToken header"})
    api.spec.components.schema("Problem", schema=Problem)
    for blueprint in (progress_blp, achievements_blp, insights_blp, badges_blp, users_blp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    api.register_blueprint(health_blp)
