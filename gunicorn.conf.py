"""gunicorn reads this from the working directory (``gunicorn … wsgi:app``).

* Metrics: the web role's series live in files its workers share
  (``app.infra.metrics.processes``), settled when the master reads this file, before it
  or any worker loads the app (``--preload`` included); a worker that exits stops
  counting its open live connections.
* Logs: with ``ACHIEVEMENTS_LOG_FORMAT=json`` gunicorn's own lines are JSON too, in the
  fields of the app's (``app.infra.logs``), so the stream stays one object per line.
"""

from typing import Any

from app.config import Config
from app.infra.logs import JSON_FIELDS, RENAMED
from app.infra.metrics import processes

settings = Config.from_env()
processes.prepare("web", fresh=True, settings=settings)

if settings.LOG_FORMAT.lower() == "json":
    logconfig_dict = {
        "formatters": {"json": {"()": "pythonjsonlogger.json.JsonFormatter", "fmt": JSON_FIELDS,
                                "style": "{", "rename_fields": RENAMED}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json",
                        "stream": "ext://sys.stdout"},
            "error_console": {"class": "logging.StreamHandler", "formatter": "json",
                              "stream": "ext://sys.stderr"},
        },
        "loggers": {  # to its stream only: the root's handler is the app's (app.infra.logs)
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"],
                               "propagate": False},
            # The app logs each request itself, with its request id (app.web.observability).
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
    }


def child_exit(server: Any, worker: Any) -> None:
    processes.mark_dead(worker.pid)
