"""The Celery app for ``celery -A workers.celery_app worker`` and ``… beat``.

Both build the Flask app through ``create_app``, which binds the Celery instance
(``app.infra.celery``) and registers the tasks (``workers.tasks``).
"""

from __future__ import annotations

import functools
import sys
from typing import Any

from app.infra.metrics import processes

# ``celery worker`` and ``celery beat`` start a role's processes: settle where their metrics
# live before anything imports prometheus-client (app.infra.metrics.processes).
for _role in ("worker", "beat"):
    if _role in sys.argv[1:]:
        processes.prepare(_role, fresh=True)
        break

from app import create_app  # noqa: E402  (after the metrics storage is settled)


@functools.cache
def _worker_app() -> Any:
    return create_app().extensions["celery"]


def __getattr__(name: str) -> Any:
    """``celery -A workers.celery_app`` looks up ``app``/``celery`` here; build lazily."""
    if name in {"app", "celery"}:
        return _worker_app()
    raise AttributeError(name)
