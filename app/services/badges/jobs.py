"""Badge operations that outgrow a request run as jobs: a worker does them in batches while
the console shows how far they got.

Above ``INLINE_LIMIT`` learners (awarding a list; publishing or counting, which
evaluate every learner) the console starts a job instead of making the browser
wait. The task carries only the job id. Each batch of an award commits with
the job's ``done`` count (:func:`by_hand.give`'s checkpoint), so a redelivered task
resumes after the last committed batch, and its dedupe key stops anything given
twice; publishing and counting are rerunnable as a whole (the backfill is). The
result a job reports is what holds when it ends, so a rerun reports it truly.

A lost task (a broker restart, a worker killed before the visibility timeout) is
covered like a lost detection: the outbox sweep hands a job whose ``updated_at``
stood still past its age to a worker again (:func:`requeue_stale`). If the first
runner was only slow, both run: a batch commits only while ``done`` is still what its
runner read (:func:`_advance`), so the loser's batch rolls back and it stops.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from app.errors import DomainError, NotFound
from app.extensions import celery, db
from app.models import AchievementStat, BadgeJob, User
from app.models.types import utcnow
from app.services.accounts.principal import Principal
from app.services.audit import actor_name
from app.services.badges.authoring import get_badge, publish_badge
from app.services.badges.by_hand import Note, Outcome, awardable, give

log = logging.getLogger(__name__)
JOB_TASK = "achievements.run_badge_job"
INLINE_LIMIT = 1000
BATCH = 500


def learner_count() -> int:
    """How many learners publishing or counting evaluates (the job-or-not question): the
    backfill evaluates every user."""
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def start_award(principal: Principal, key: str, user_ids: list[int], note: Note) -> BadgeJob:
    awardable(principal, key)
    return _start(principal, "award", key, len(user_ids),
                  {"user_ids": user_ids, "note": asdict(note)})


def start_publish(principal: Principal, key: str, *, notify: bool, dry_run: bool) -> BadgeJob:
    get_badge(principal, key)
    kind = "count" if dry_run else "publish"
    return _start(principal, kind, key, learner_count(), {"notify": notify})


def job_for(principal: Principal, job_id: int) -> BadgeJob:
    """A job its starter (or an admin) may watch; others' are not found."""
    job = db.session.get(BadgeJob, job_id)
    if job is None or (principal.kind != "admin" and job.created_by != actor_name(principal)):
        raise NotFound(f"no job {job_id}")
    get_badge(principal, job.badge_key)
    return job


def run_job(job_id: int) -> None:
    """The worker's side: run (or resume) the job; a refusal ends it as failed."""
    job = db.session.get(BadgeJob, job_id)
    if job is None or job.status in ("done", "failed"):
        return
    job.status, job.updated_at = "running", utcnow()
    db.session.commit()
    try:
        job.result = RUNNERS[job.kind](job, _principal(job))
    except Overtaken:
        db.session.rollback()
        log.info("badge job %s is run by another worker; this one stops", job_id)
        return
    except DomainError as exc:
        db.session.rollback()
        _finish(job, "failed", error=exc.detail)
        return
    _finish(job, "done")


def requeue_stale(age_seconds: float) -> int:
    """Hand jobs that stopped moving (their task lost) to a worker again; the sweep's job."""
    cutoff = utcnow() - timedelta(seconds=age_seconds)
    stale = list(db.session.scalars(select(BadgeJob.id).where(
        BadgeJob.status.in_(("queued", "running")), BadgeJob.updated_at < cutoff)))
    for job_id in stale:
        db.session.execute(update(BadgeJob).where(BadgeJob.id == job_id)
                           .values(updated_at=utcnow()))
        db.session.commit()
        _enqueue(job_id)
    return len(stale)


def fail_job(job_id: int, error: str) -> None:
    """The task gave up (retries spent): say so on the page instead of spinning forever."""
    db.session.rollback()
    job = db.session.get(BadgeJob, job_id)
    if job is not None and job.status not in ("done", "failed"):
        _finish(job, "failed", error=error)


def _start(principal: Principal, kind: str, key: str, total: int,
           params: dict[str, Any]) -> BadgeJob:
    who = {"kind": principal.kind, "id": principal.id, "name": principal.name,
           "scopes": sorted(principal.scopes)}
    job = BadgeJob(kind=kind, badge_key=key, total=total, params={**params, "principal": who},
                   created_by=actor_name(principal), status="queued", done=0, result={})
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    _enqueue(job_id)
    return db.session.get(BadgeJob, job_id) or job


def _enqueue(job_id: int) -> None:
    """Hand the id to a worker (eager mode runs it here and now)."""
    celery.signature(JOB_TASK, args=(job_id,)).apply_async()


def _principal(job: BadgeJob) -> Principal:
    who = job.params["principal"]
    return Principal(kind=who["kind"], id=who["id"], name=who["name"],
                     scopes=frozenset(who.get("scopes", ())))


class Overtaken(Exception):
    """Another runner of the same job committed this batch first."""


def _award(job: BadgeJob, principal: Principal) -> dict[str, Any]:
    badge = awardable(principal, job.badge_key)
    note = Note(**job.params["note"])
    user_ids: list[int] = job.params["user_ids"]
    counts = dict(job.result or {"awarded": 0, "already_held": 0})
    while job.done < len(user_ids):
        batch = user_ids[job.done:job.done + BATCH]

        def checkpoint(outcome: Outcome, read: int = job.done, size: int = len(batch)) -> None:
            counts["awarded"] += len(outcome.awarded)
            counts["already_held"] += len(outcome.already_held)
            _advance(job.id, read, read + size, counts)

        give(principal, badge, batch, note, checkpoint=checkpoint)
        db.session.refresh(job)
    return counts


def _advance(job_id: int, read: int, done: int, result: dict[str, Any]) -> None:
    """Move ``done`` in the batch's own transaction, only from the value this runner read."""
    moved = db.session.execute(
        update(BadgeJob).where(BadgeJob.id == job_id, BadgeJob.done == read)
        .values(done=done, result=dict(result), updated_at=utcnow()))
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise Overtaken(job_id)


def _publish(job: BadgeJob, principal: Principal) -> dict[str, Any]:
    dry_run = job.kind == "count"
    job.done = 0
    answer = publish_badge(principal, job.badge_key, dry_run=dry_run,
                           notify=job.params.get("notify", False), progress=_progress(job))
    if not dry_run:
        answer["holders"] = _holders(f"badge:{job.badge_key}")
    return answer


def _progress(job: BadgeJob) -> Any:
    def moved(n: int) -> None:
        job.done, job.updated_at = min(job.total, job.done + n), utcnow()
        db.session.commit()  # the backfill committed its batch; this shows it
    return moved


def _holders(dedupe_key: str) -> int:
    return db.session.scalar(select(AchievementStat.holders).where(
        AchievementStat.dedupe_key == dedupe_key)) or 0


def _finish(job: BadgeJob, status: str, error: str | None = None) -> None:
    job.status, job.error, job.finished_at = status, error, utcnow()
    job.updated_at = job.finished_at
    if status == "done":
        job.done = job.total
    db.session.commit()
    log.info("badge job %s (%s %s) %s", job.id, job.kind, job.badge_key, status,
             extra={"job_id": job.id})


RUNNERS = {"award": _award, "publish": _publish, "count": _publish}
