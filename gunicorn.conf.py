"""gunicorn reads this from the working directory (``gunicorn … wsgi:app``): the web role's
metrics live in files its workers share (``app.infra.metrics.processes``), settled in the
master before any worker loads the app, and a worker that exits stops counting its open
live connections."""

from typing import Any

from app.infra.metrics import processes


def on_starting(server: Any) -> None:
    processes.prepare("web", fresh=True)


def child_exit(server: Any, worker: Any) -> None:
    processes.mark_dead(worker.pid)
