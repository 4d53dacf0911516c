"""The one application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.config import INSTANCE_DIR, Config
from app.extensions import csrf, db, migrate


def create_app(config: Config | dict[str, Any] | None = None) -> Flask:
    """Build the Flask app; every process (web, worker, gRPC, CLI) starts here."""
    settings = _settings(config)
    app = Flask(__name__, instance_path=str(INSTANCE_DIR),
                template_folder="web/templates", static_folder="web/static")
    app.config.from_mapping(settings.flask_mapping())
    app.extensions["app_factory"] = create_app  # for services that start processes (backfill)
    _ensure_sqlite_dir(settings)
    _init_extensions(app)
    _register_transports(app)
    _register_cli(app)
    return app


def _settings(config: Config | dict[str, Any] | None) -> Config:
    if isinstance(config, Config):
        return config
    settings = Config.from_env()
    for key, value in (config or {}).items():
        setattr(settings, key, value)
    return settings


def _ensure_sqlite_dir(settings: Config) -> None:
    if settings.DATABASE_URL.startswith("sqlite:///"):
        path = settings.DATABASE_URL.removeprefix("sqlite:///")
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)


def _init_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (register the mappers before migrate looks)
    from app.infra import logs
    from app.infra.celery import init_celery
    from app.infra.gate import init_gate
    from app.infra.metrics import record as metrics
    from app.infra.pubsub import init_notify
    from app.infra.sqlite import use_wal
    from app.web.auth import init_login
    from app.web.i18n import init_i18n

    settings = app.config["ACHIEVEMENTS_CONFIG"]
    logs.configure(settings)
    metrics.configure(settings.METRICS_ENABLED)
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            use_wal(engine)
    migrate.init_app(app, db, directory=str(INSTANCE_DIR.parent / "migrations"))
    csrf.init_app(app)
    init_login(app)
    init_i18n(app)
    init_celery(app)
    init_notify(app)
    init_gate(app)


def _register_transports(app: Flask) -> None:
    """Blueprints on the app; tasks on its Celery instance (eager mode runs them in process)."""
    from app.web import init_web
    from workers import tasks  # noqa: F401  (registers the tasks on the bound Celery instance)

    init_web(app)


def _register_cli(app: Flask) -> None:
    from app.cli import register_cli

    register_cli(app)
