"""Where each process keeps its series: prometheus-client's multi-process mode.

gunicorn workers, Celery prefork children and the gRPC server's processes each
write their values to files under one directory per *role*
(``<METRICS_DIR>/<role>``), and a scrape of that role merges them
(:func:`app.infra.metrics.exposition.scrape`). The library reads
``PROMETHEUS_MULTIPROC_DIR`` when it is first imported, so each entry point
calls :func:`prepare` before it builds the app: ``gunicorn.conf.py`` (web),
``workers/celery_app.py`` (worker, beat) and ``app/grpc/__main__.py`` (grpc). The
process that starts a role's processes wipes the directory first (``fresh``);
a child that exits is marked dead (:func:`mark_dead`) so its live gauges drop.
A single process (the demo, the tests' in-process app) keeps the library's
ordinary in-memory registry.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from app.config import Config

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
ROLES = frozenset({"web", "worker", "beat", "grpc"})


def role_dir(settings: Config, role: str) -> Path:
    base = settings.METRICS_DIR or os.path.join(tempfile.gettempdir(),
                                                f"achievements-metrics-{os.getuid()}")
    return Path(base) / role


def prepare(role: str, *, fresh: bool, settings: Config | None = None) -> Path | None:
    """Point this process (and the children it forks) at ``role``'s directory.

    ``fresh``: the caller starts the role's processes, so files left by an
    earlier run are removed. Returns the directory, or None when metrics are off.
    """
    if role not in ROLES:
        raise ValueError(f"unknown process role {role!r}")
    settings = settings or Config.from_env()
    if not settings.METRICS_ENABLED:
        return None
    if "prometheus_client" in sys.modules and MULTIPROC_ENV not in os.environ:
        raise RuntimeError("prometheus_client was imported before the metrics storage was set")
    path = role_dir(settings, role)
    path.mkdir(parents=True, exist_ok=True)
    if fresh:
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def mark_dead(pid: int) -> None:
    """A child of this role exited: its ``livesum`` gauges (open connections) stop counting."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
