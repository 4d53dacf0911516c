"""What operators see of worker and beat processes: their metrics port, the request id on
task log lines, JSON logs, and which periodic tasks beat sent.

Receivers of Celery's signals, connected when ``workers.tasks`` is imported (by the app
factory); each reads the app Celery is bound to (``app.infra.celery``).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    beat_init,
    before_task_publish,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_shutdown,
)
from flask import Flask

from app.extensions import celery
from app.infra import context, logs
from app.infra.metrics import processes
from app.infra.metrics import record as metrics
from app.services.monitoring import serve_role
from app.services.recording.dispatch import TRACE_HEADER

_tokens: dict[str, tuple[Any, Any]] = {}  # task id -> context tokens, prerun to postrun


def _app() -> Flask:
    return celery.flask_app  # type: ignore[attr-defined,no-any-return]


@after_setup_logger.connect
def json_lines(loglevel: Any = None, **_: Any) -> None:
    """With ``LOG_FORMAT=json`` the root logger Celery set up writes JSON lines instead."""
    logs.configure(_app().config["ACHIEVEMENTS_CONFIG"], loglevel)


@after_setup_task_logger.connect
def task_lines_to_root(logger: logging.Logger | None = None, **_: Any) -> None:
    """``get_task_logger`` loggers get a handler of their own; in JSON mode they use the root's."""
    if logger is not None and _app().config["ACHIEVEMENTS_CONFIG"].LOG_FORMAT == "json":
        logger.handlers.clear()
        logger.propagate = True


@worker_init.connect
def worker_metrics(**_: Any) -> None:
    serve_role(_app(), "worker")


@worker_process_shutdown.connect
def prefork_child_exits(**_: Any) -> None:
    processes.mark_dead(os.getpid())


@beat_init.connect
def beat_metrics(**_: Any) -> None:
    serve_role(_app(), "beat")
    before_task_publish.connect(_beat_sent)


def _beat_sent(sender: str | None = None, **_: Any) -> None:
    metrics.beat_sent(sender or "unknown")


@task_prerun.connect
def task_context(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    """The enqueuing request's id (a header the task carries) on the task's log lines; an
    eager task (the embedded mode) keeps the id of the request it runs in."""
    if task_id is None or task is None:
        return
    request = task.request
    rid = request.get(TRACE_HEADER) or (getattr(request, "headers", None) or {}).get(TRACE_HEADER)
    _tokens[task_id] = (context.request_id.set(rid or context.request_id.get()),
                        context.transport.set("worker"))


@task_postrun.connect
def task_context_end(task_id: str | None = None, **_: Any) -> None:
    tokens = _tokens.pop(task_id or "", None)
    if tokens is not None:
        context.request_id.reset(tokens[0])
        context.transport.reset(tokens[1])
