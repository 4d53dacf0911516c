"""Backfill: re-evaluate stored progress (a new rule, an imported history) and award silently.

Learners are processed in batches: one read of the batch's facts and held award
keys (``loader.load_batch``: one statement on PostgreSQL), one multi-row insert of
the batch's awards, one commit. Awards are ``silent``: stored, counted, shown in
history, never published live (``publishing`` skips them, ``queries.awards_after``
too).

Rerunnable: what is due is compared with what each learner already holds
(revoked awards included), and the insert is ON CONFLICT DO NOTHING, so a
second run, or a run racing live detection, stores nothing twice. The
batch's learners are row-locked like live detection does, in id order.

Evaluating rules is Python work bound to one core by the GIL (reading the rows
is a small share of a run), so on PostgreSQL ``jobs`` > 1 spreads the batches
over that many spawned processes, each with its own app and connections.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from app.config import Config
from app.domain import registry
from app.domain.authored_badge import AuthoredBadge
from app.domain.registry import AwardDue
from app.domain.state import CatalogView, LearnerState
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.infra.metrics import record as metrics
from app.infra.sql import on_postgresql
from app.models import User
from app.read.learner_state import Learner, load_batch
from app.services.awarding.awards import load_awards, lock_learners, store_awards
from app.services.awarding.publishing import publish_awards

BATCH_SIZE = 500
SAMPLE_LIMIT = 200


@dataclass(frozen=True)
class PlannedAward:
    user_id: int
    dedupe_key: str
    type: str


@dataclass
class BackfillReport:
    """What a run found (dry run) or stored; ``sample`` keeps the first awards for printing."""

    dry_run: bool
    learners: int = 0
    rows: int = 0
    awards: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    by_badge: Counter[str] = field(default_factory=Counter)  # author-defined badge keys
    sample: list[PlannedAward] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, user_id: int, due: Sequence[AwardDue]) -> None:
        self.awards += len(due)
        self.by_type.update(award.type for award in due)
        self.by_badge.update(a.metadata["badge"] for a in due if a.type == "badge")
        self._keep(PlannedAward(user_id, a.dedupe_key, a.type) for a in due)

    def merge(self, part: BackfillReport) -> None:
        """Add a worker process's report of one batch: counts add up, the sample stays capped."""
        self.learners += part.learners
        self.rows += part.rows
        self.awards += part.awards
        self.by_type.update(part.by_type)
        self.by_badge.update(part.by_badge)
        self._keep(part.sample)

    def _keep(self, awards: Iterable[PlannedAward]) -> None:
        self.sample.extend(islice(awards, SAMPLE_LIMIT - len(self.sample)))

    def summary(self) -> str:
        verb = "would award" if self.dry_run else "awarded"
        kinds = ", ".join(f"{kind}: {n}" for kind, n in sorted(self.by_type.items())) or "nothing"
        rate = self.rows / self.seconds if self.seconds else 0.0
        return (f"{self.learners} learners, {self.rows} progress events read in "
                f"{self.seconds:.1f}s ({rate:,.0f}/s); {verb} {self.awards} ({kinds})")


def backfill(user_id: int | None = None, rule: str | None = None, dry_run: bool = False,
             progress: Callable[[int], Any] | None = None, *, batch_size: int = BATCH_SIZE,
             overrides: dict[str, Any] | None = None, jobs: int = 1,
             badges: Mapping[str, AuthoredBadge] | None = None,
             notify: bool = False, user_ids: Sequence[int] | None = None) -> BackfillReport:
    """Award (silently) whatever stored progress makes due; ``progress(n)`` per n learners.

    ``badges`` replaces the published badges for this run (a dry run of a draft);
    ``notify`` publishes the new awards live instead of storing them silently;
    ``user_ids`` limits the run to those learners (after a badge given by hand).

    ``jobs`` > 1 evaluates the batches in that many processes, on PostgreSQL
    only: SQLite has one writer at a time, so there the processes would only
    queue behind each other's locks, and the run takes one process. A run with
    a single batch (one ``user_id``, or few learners) takes one process too.
    """
    only = _rules(rule)
    if overrides is None:
        overrides = current_app.config["ACHIEVEMENTS_CONFIG"].RULES
    report = BackfillReport(dry_run=dry_run)
    started = time.perf_counter()
    batches = list(_batches(learners(user_id, user_ids), batch_size))
    plan = _Plan(only, overrides, dry_run, dict(badges) if badges is not None else None, notify)
    if jobs > 1 and len(batches) > 1 and on_postgresql():
        _run_in_processes(batches, jobs, plan, report, progress)
    else:
        for batch in batches:
            _run_batch(batch, plan, report)
            if progress is not None:
                progress(len(batch))
    report.seconds = time.perf_counter() - started
    return report


def _rules(rule: str | None) -> list[str] | None:
    if rule is None:
        return None
    try:
        return registry.check_rule_keys([rule])
    except ValueError as exc:
        raise InvalidInput(str(exc), fields={"rule": ["unknown rule"]}) from exc


def learners(user_id: int | None = None, user_ids: Sequence[int] | None = None
             ) -> list[Learner]:
    """The learners to re-evaluate, in id order (everyone, the one named, or those listed)."""
    query = select(User.id, User.timezone).order_by(User.id)
    if user_id is not None:
        query = query.where(User.id == user_id)
    if user_ids is not None:
        query = query.where(User.id.in_(list(user_ids)))
    found = [Learner(row.id, row.timezone) for row in db.session.execute(query)]
    if user_id is not None and not found:
        raise NotFound(f"no user {user_id}")
    return found


def _batches(items: list[Learner], size: int) -> Iterator[list[Learner]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _run_batch(batch: list[Learner], plan: _Plan, report: BackfillReport) -> None:
    ids = [learner.id for learner in batch]
    if not report.dry_run:
        lock_learners(ids)
    loaded = load_batch(batch)  # held keys come in the same statement as the facts
    _use_badges(loaded.states.values(), plan.badges)
    due: dict[int, list[AwardDue]] = {}
    for learner_id, state in loaded.states.items():
        report.rows += state.events
        fresh = [a for a in registry.evaluate(state, plan.overrides, plan.only)
                 if a.dedupe_key not in loaded.held[learner_id]]
        if fresh:
            due[learner_id] = fresh
            report.add(learner_id, fresh)
    report.learners += len(batch)
    if report.dry_run:
        db.session.rollback()
        return
    stored = store_awards(due, source_event_id=None, silent=not plan.notify)
    db.session.commit()
    metrics.awards_stored(row.type for row in stored)
    if plan.notify:
        publish_awards(load_awards([row.id for row in stored]))


def _use_badges(states: Iterable[LearnerState],
                badges: dict[str, AuthoredBadge] | None) -> None:
    """Evaluate these badges instead of the published ones (one catalog view for all)."""
    if badges is None:
        return
    views: dict[int, CatalogView] = {}
    for state in states:
        view = views.setdefault(id(state.catalog), replace(state.catalog, badges=badges))
        state.catalog = view


@dataclass(frozen=True)
class _Plan:
    """What every batch of a run is evaluated against; sent once to each worker process."""

    only: list[str] | None
    overrides: dict[str, Any]
    dry_run: bool
    badges: dict[str, AuthoredBadge] | None = None
    notify: bool = False


def _run_in_processes(batches: list[list[Learner]], jobs: int, plan: _Plan,
                      report: BackfillReport, progress: Callable[[int], Any] | None) -> None:
    """Evaluate the batches in ``jobs`` worker processes; merge their reports in batch order.

    The processes never wait on each other's learner locks: each batch locks
    only its own learners (in id order, as ``lock_learners`` does) and batches are
    disjoint. The rows they share are holder counts (``achievement_stats``),
    upserted in key order just before each batch commits: a worker may wait
    for another's commit there, briefly, and never deadlocks.
    Workers are *spawned*, not forked: this process may hold threads and open
    connections that a forked copy would share mid-use. Workers read only
    committed rows, so this process's transaction is committed first.
    Results arrive in batch order, so the sample is the one a single process
    keeps, and ``progress`` moves as each batch (and those before it) ends.
    A failed batch cancels the batches not yet started (a rerun does them).
    """
    db.session.commit()
    config = current_app.config["ACHIEVEMENTS_CONFIG"]  # pickled to every worker
    factory = current_app.extensions["app_factory"]  # create_app, pickled by reference
    pool = ProcessPoolExecutor(min(jobs, len(batches)), initializer=_start_worker,
                               initargs=(factory, config, plan),
                               mp_context=multiprocessing.get_context("spawn"))
    try:
        for batch, part in zip(batches, pool.map(_worker_batch, batches), strict=True):
            report.merge(part)
            if progress is not None:
                progress(len(batch))
    finally:
        pool.shutdown(cancel_futures=True)


_worker: dict[str, Any] = {}  # in a worker process: its plan and app context


def _start_worker(factory: Callable[[Config], Flask], config: Config, plan: _Plan) -> None:
    """Worker initializer: one app and app context for the process's life, not per batch."""
    context = factory(config).app_context()
    context.push()
    _worker.update(plan=plan, context=context)


def _worker_batch(batch: list[Learner]) -> BackfillReport:
    """One batch in a worker process; the report goes back to the parent (picklable)."""
    plan: _Plan = _worker["plan"]
    report = BackfillReport(dry_run=plan.dry_run)
    _run_batch(batch, plan, report)
    return report
