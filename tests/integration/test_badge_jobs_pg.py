"""A long award list as a console job on the real services: PostgreSQL and a real Celery
worker process give 6,000 learners a badge in batches; a worker SIGKILLed mid-job loses
nothing and doubles nothing once the sweep hands the job to another worker."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator

import psycopg
from flask import Flask

from app.extensions import db
from app.models import BadgeJob
from app.services.accounts.principal import Principal
from app.services.badges import create_badge, publish_badge
from app.services.badges import jobs as badge_jobs
from app.services.badges.by_hand import Note
from tests.support.catalog import build_catalog
from tests.support.services import Worker, wait_for

ADMIN = Principal(kind="admin", id=0, name="setup")
LEARNERS = 6_000


def many_learners(pg_url: str, count: int) -> list[int]:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        rows = conn.execute(
            "INSERT INTO users (email, password_hash, role, timezone, created_at) "
            "SELECT 'bulk' || n || '@example.com', 'x', 'learner', 'UTC', now() "
            "FROM generate_series(1, %s) AS n RETURNING id", (count,)).fetchall()
    return sorted(row[0] for row in rows)


def state(pg_url: str, job_id: int) -> tuple[str, int, int]:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        status, done = conn.execute("SELECT status, done FROM badge_jobs WHERE id = %s",
                                    (job_id,)).fetchone()
        held = conn.execute("SELECT count(*) FROM achievements WHERE dedupe_key = "
                            "'badge:bulk'").fetchone()[0]
    return status, done, held


@contextlib.contextmanager
def learner_locked(pg_url: str, user_id: int) -> Iterator[None]:
    """Hold one learner's award lock, as detection would: the job's batch naming them
    waits there, mid-job, for as long as the test needs."""
    with psycopg.connect(pg_url) as holder:
        holder.execute("SELECT id FROM users WHERE id = %s FOR NO KEY UPDATE", (user_id,))
        yield


def test_a_long_list_survives_a_killed_worker(services_app: Flask, pg_url: str,
                                              start_worker: Callable[..., Worker]) -> None:
    build_catalog("c1", units=1, modules=1)
    create_badge(ADMIN, {"key": "bulk", "title": "Bulk", "criteria": {
        "module_complete": "c1-u1-m1"}})
    publish_badge(ADMIN, "bulk")
    ids = many_learners(pg_url, LEARNERS)
    doomed = start_worker("doomed", concurrency=1)
    third_batch = ids[2 * badge_jobs.BATCH]
    with learner_locked(pg_url, third_batch):
        job = badge_jobs.start_award(ADMIN, "bulk", ids, Note("cohort 7", None, notify=False))
        wait_for(lambda: state(pg_url, job.id)[1] == 2 * badge_jobs.BATCH, timeout=60,
                 what="two batches committed, the third waiting on its lock")
        for pid in [*doomed.children(), doomed.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert state(pg_url, job.id) == ("running", 2 * badge_jobs.BATCH, 2 * badge_jobs.BATCH)

    start_worker("replacement", concurrency=1)
    db.session.remove()
    assert badge_jobs.requeue_stale(0) == 1  # what beat's sweep does once it stood still
    wait_for(lambda: state(pg_url, job.id)[0] == "done", timeout=120, what="the job done")
    assert state(pg_url, job.id) == ("done", LEARNERS, LEARNERS)
    finished = db.session.get(BadgeJob, job.id)
    assert finished.result == {"awarded": LEARNERS, "already_held": 0}
