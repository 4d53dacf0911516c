"""Celery tasks: ids in, app code called, nothing else.

``acks_late`` + ``reject_on_worker_lost`` (set in ``app.infra.celery``) mean a task
whose worker dies is redelivered; the app code it calls is idempotent, so a
redelivery can only repeat work, never double an award.
"""

from __future__ import annotations

import importlib
import logging
import time
from typing import Any

from celery.signals import task_received, worker_init

from app.extensions import celery
from app.infra.gate import release_on_receipt, released_on_receipt
from app.infra.metrics import record as metrics
from app.services.recording.dispatch import EVALUATE_TASK
from workers import observability  # noqa: F401  (connects the workers' signal receivers)

log = logging.getLogger(__name__)
# The task bodies import their code when first called, so that the web and gRPC processes,
# which import this module to register the tasks, never load it. A worker loads the hot
# ones as it starts, before it takes a task: otherwise the first detection and the first
# relay pay a second of imports in the middle of the burst that woke them.
WARM_AT_WORKER_START = ("app.services.awarding.detection", "app.services.delivery.relay")


@worker_init.connect
def import_hot_task_bodies(**_: Any) -> None:
    for module in WARM_AT_WORKER_START:
        importlib.import_module(module)


@celery.task(name=EVALUATE_TASK, bind=True, max_retries=8)
def evaluate_progress_event(self, event_id: int,  # type: ignore[no-untyped-def]
                            user_id: int | None = None, shards: int | None = None) -> int:
    """Detect awards due to the event's learner; returns how many were new.

    ``user_id`` is the event's learner (looked up when absent); ``shards``, set
    when the detection gate admitted the task, makes it release the gate of
    the learner's shard and evaluate the whole shard.
    """
    from app.services.awarding.detection import evaluate_event

    started = time.perf_counter()
    released = released_on_receipt(self.request.id)
    try:
        new = len(evaluate_event(event_id, user_id, shards, gate_released=released))
    except Exception as exc:  # database or Redis blip: retry with backoff; the sweep is the net
        last = self.request.retries >= self.max_retries
        metrics.detection_task("failed" if last else "retry", time.perf_counter() - started)
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 30)) from exc
    metrics.detection_task("ok", time.perf_counter() - started)
    return new


@celery.task(name="achievements.run_badge_job", bind=True, max_retries=5)
def run_badge_job(self, job_id: int) -> None:  # type: ignore[no-untyped-def]
    """Run or resume a console badge job (a long award list, a publish with its backfill);
    each batch commits with the job's progress, so a redelivery resumes, never repeats."""
    from app.services.badges.jobs import fail_job, run_job

    try:
        run_job(job_id)
    except Exception as exc:  # database blip: retry; give up visibly when retries are spent
        if self.request.retries >= self.max_retries:
            fail_job(job_id, "the job failed; see the worker log")
            raise
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 30)) from exc


@celery.task(name="achievements.sweep_outbox")
def sweep_outbox() -> int:
    """Re-enqueue progress events left unprocessed, re-publish unpublished awards, record
    the events of xAPI statements a crash left matched but unrecorded, hand console
    badge jobs that stopped moving to a worker again, and wake the notification relay for
    notices stuck past their due time or their claim's lease."""
    from flask import current_app

    from app.services.awarding.publishing import republish_pending
    from app.services.badges.jobs import requeue_stale
    from app.services.notifications.outbox import requeue_stuck
    from app.services.recording.outbox import sweep
    from app.services.xapi import record_due

    age = current_app.config["ACHIEVEMENTS_CONFIG"].OUTBOX_SWEEP_AGE_SECONDS
    counts = {"events": sweep(age), "awards": republish_pending(age),
              "statements": record_due(age), "jobs": requeue_stale(age),
              "notices": requeue_stuck(age)}
    for what, count in counts.items():
        metrics.swept(what, count)
    return sum(counts.values())


@celery.task(name="achievements.relay_notifications")
def relay_notifications() -> int:
    """Send the emails and pushes that are due (claimed with SKIP LOCKED, so relays run
    side by side; app.services.delivery.relay says what "once" means here)."""
    from app.services.delivery.relay import relay

    return relay()


@celery.task(name="achievements.queue_reminders")
def queue_reminders() -> int:
    """Write the expiry reminders and weekly digests that came due, then send them."""
    from app.services.delivery.relay import relay
    from app.services.delivery.reminders import queue_due

    queued = queue_due()
    relay()
    return queued


@celery.task(name="achievements.lti_sync_roster", bind=True, max_retries=4)
def lti_sync_roster(self, context_id: int) -> int:  # type: ignore[no-untyped-def]
    """Sync one LMS course's roster (Names and Roles); how many members it listed. A
    platform that fails is retried with backoff, then left to the next beat; in the
    embedded mode (eager) the launch that asked goes on at once."""
    from app.services.lti.calls import PlatformError
    from app.services.lti.names_roles import sync_roster

    try:
        result = sync_roster(context_id)
    except PlatformError as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            log.warning("lti roster sync failed: %s", exc, extra={"lti_context": context_id})
            return 0
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 600)) from exc
    return result.members if result else 0


@celery.task(name="achievements.lti_sync_rosters")
def lti_sync_rosters() -> int:
    """Beat: a sync task for every LMS course whose roster is older than the sync age."""
    from app.services.lti.names_roles import ROSTER_MAX_AGE, request_due

    return request_due(ROSTER_MAX_AGE)


@task_received.connect
def release_gate_on_receipt(request: Any = None, **_: Any) -> None:
    """Release the shard's detection gate as soon as this worker holds its task
    (``app.infra.gate`` says why); never raises into the consumer."""
    if request is None or request.name != EVALUATE_TASK:
        return
    user_id, shards = request.kwargs.get("user_id"), request.kwargs.get("shards")
    if isinstance(user_id, int) and isinstance(shards, int) and shards > 0:
        release_on_receipt(celery.flask_app, user_id, shards,  # type: ignore[attr-defined]
                           request.id)
