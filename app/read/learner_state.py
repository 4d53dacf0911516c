"""Load learners' :class:`LearnerState` from the database: one statement per batch on
PostgreSQL, one per kind of fact elsewhere.

The same code serves live detection (a batch of one) and backfill (hundreds
of learners at a time), so both see progress exactly alike. The catalog comes
from the per-process cache; progress rows are read by id and mapped to keys
in Python, without joins.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, func, select

from app.domain.state import LearnerState
from app.extensions import db
from app.infra.caches.catalog import IndexedCatalog, catalog, catalog_for_revision
from app.infra.sql import in_session, on_postgresql
from app.models import Achievement, AssessmentAttempt, ModuleCompletion, ProgressEvent, User

UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True)
class Learner:
    """Just what loading needs from a user row."""

    id: int
    timezone: str | None


def learner_zone(name: str | None) -> ZoneInfo:
    """The learner's IANA zone; an unknown name falls back to UTC rather than block detection."""
    try:
        return ZoneInfo(name) if name else UTC_ZONE
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE


def load_state(user: User | Learner) -> LearnerState:
    return load_states([Learner(user.id, user.timezone)])[user.id]


def load_states(learners: Sequence[Learner]) -> dict[int, LearnerState]:
    """States of many learners at once (one query per kind of fact, not per learner)."""
    return load_batch(learners).states


@dataclass(frozen=True)
class Batch:
    """What detection needs of its locked learners, read together."""

    states: dict[int, LearnerState]
    pending: dict[int, list[int]]  # unprocessed event ids; learners with none are left out
    held: dict[int, set[str]]  # dedupe keys each learner holds, revoked ones included


def load_batch(learners: Sequence[Learner]) -> Batch:
    """States, unprocessed event ids and held award keys of these learners.

    Events are read FIRST, in their own statement: an event's facts commit
    with it, so every event listed as pending here has its facts in the later
    reads — the state evaluated settles it (``detection`` relies on this). On
    PostgreSQL everything is one statement (one snapshot: the same holds).
    """
    read = facts_in_one_statement if on_postgresql() else facts_by_kind
    indexed, days, modules, scores, held = read(learners)
    states = {learner.id: _state(learner.id, indexed, modules[learner.id], scores[learner.id],
                                 days.get(learner.id), held[learner.id])
              for learner in learners}
    pending = {user_id: entry.pending for user_id, entry in days.items() if entry.pending}
    return Batch(states, pending, {learner.id: set(held[learner.id]) for learner in learners})


# Held awards per learner: dedupe key -> not revoked.
Facts = tuple[IndexedCatalog, dict[int, "ActiveDays"], dict[int, set[str]],
              dict[int, dict[str, float]], dict[int, dict[str, bool]]]


def facts_by_kind(learners: Sequence[Learner]) -> Facts:
    """The catalog, then events, completed modules, best scores and held award keys:
    one statement each."""
    indexed = catalog()
    days = _active_days(learners)
    ids = [learner.id for learner in learners]
    return (indexed, days, _completed_modules(ids, indexed), _best_scores(ids, indexed),
            defaultdict(dict, {k: keys for k, keys in existing_keys(ids).items() if keys}))


def state_from_rows(learner: Learner, indexed: IndexedCatalog, module_ids: Iterable[int],
                    best_scores: Iterable[tuple[int, float]],
                    moments: Iterable[datetime]) -> LearnerState:
    """A learner's state from rows read elsewhere (ids as stored, every event's moment):
    the same mapping :func:`load_states` applies to its own reads."""
    zone = learner_zone(learner.timezone)
    modules = {indexed.module_keys[m] for m in module_ids if m in indexed.module_keys}
    scores = {indexed.assessment_keys[a]: best for a, best in best_scores
              if a in indexed.assessment_keys}
    days = ActiveDays()
    for moment in moments:
        days.days.add(moment.astimezone(zone).date())
        days.events += 1
    return _state(learner.id, indexed, modules, scores, days)


def _state(user_id: int, indexed: IndexedCatalog, modules: set[str], scores: dict[str, float],
           days: ActiveDays | None, held: dict[str, bool] | None = None) -> LearnerState:
    view = indexed.view
    touched = {view.course_of_module(key) for key in modules}
    touched |= {view.assessments[key].course_key for key in scores}
    days = days or ActiveDays()
    return LearnerState(user_id, view, modules, scores, days.days,
                        courses=frozenset(k for k in touched if k), events=days.events,
                        held=frozenset(k for k, active in (held or {}).items() if active),
                        revoked=frozenset(k for k, active in (held or {}).items() if not active))


# Detection's reads, built once with the learner ids bound at execution: building and
# cache-keying a statement per call cost more CPU than running it.
_IDS = bindparam("ids", expanding=True)
_COMPLETED = select(ModuleCompletion.user_id, ModuleCompletion.module_id).where(
    ModuleCompletion.user_id.in_(_IDS))
_BEST_SCORES = (select(AssessmentAttempt.user_id, AssessmentAttempt.assessment_id,
                       func.max(AssessmentAttempt.score))
                .where(AssessmentAttempt.user_id.in_(_IDS))
                .group_by(AssessmentAttempt.user_id, AssessmentAttempt.assessment_id))
_EVENTS = ProgressEvent.__table__
_EVENT_MOMENTS = select(_EVENTS.c.id, _EVENTS.c.user_id, _EVENTS.c.occurred_at,
                        _EVENTS.c.processed_at).where(_EVENTS.c.user_id.in_(_IDS))


def _completed_modules(ids: list[int], indexed: IndexedCatalog) -> dict[int, set[str]]:
    rows = db.session.execute(_COMPLETED, {"ids": ids})
    found: dict[int, set[str]] = defaultdict(set)
    for user_id, module_id in rows:
        key = indexed.module_keys.get(module_id)
        if key is not None:
            found[user_id].add(key)
    return found


def _best_scores(ids: list[int], indexed: IndexedCatalog) -> dict[int, dict[str, float]]:
    rows = db.session.execute(_BEST_SCORES, {"ids": ids})
    found: dict[int, dict[str, float]] = defaultdict(dict)
    for user_id, assessment_id, best in rows:
        key = indexed.assessment_keys.get(assessment_id)
        if key is not None:
            found[user_id][key] = float(best)
    return found


@dataclass
class ActiveDays:
    days: set[date] = field(default_factory=set)
    events: int = 0
    pending: list[int] = field(default_factory=list)

    def add(self, event_id: int, day: date, pending: bool) -> None:
        self.days.add(day)
        self.events += 1
        if pending:
            self.pending.append(event_id)

    def add_slot(self, events: int, first: date, last: date) -> None:
        """``events`` events whose local dates are ``first`` and ``last`` (and none between)."""
        self.days.update((first, last))
        self.events += events


def _active_days(learners: Iterable[Learner]) -> dict[int, ActiveDays]:
    """Local calendar days with any event, in each learner's own zone."""
    zones = {learner.id: learner_zone(learner.timezone) for learner in learners}
    rows = db.session.execute(_EVENT_MOMENTS, {"ids": list(zones)})
    found: dict[int, ActiveDays] = defaultdict(ActiveDays)
    for event_id, user_id, moment, processed_at in rows:
        found[user_id].add(event_id, moment.astimezone(zones[user_id]).date(),
                           processed_at is None)
    return found


# PostgreSQL: the catalog revision, events, completed modules, best scores and held award
# keys in one round trip (five statements and their ORM execution were ~1.5 ms of a ~9 ms
# evaluation). The last column is the revision (kind 0) or the dedupe key (kind 4).
# The ids are read through a sub-select (``learners``), so no plan depends on their count:
# with the array bound directly, custom plans (priced at its length) always beat the
# generic one (priced at 10 elements), and PostgreSQL planned the statement on every pass
# (~0.25 ms of its CPU). Now a connection plans it once.
#
# Events come as the pending ones (kind 1) and as activity per 15-minute slot of UTC time
# (kind 5: how many, the first and the last), not one row each: a learner with 10,000
# events cost every pass ~20 ms of Python. A slot may hold at most one change of local
# date, so that the dates of its first and last event are the dates of all of them: since
# 2000 (the earliest ``occurred_at``) every zone's offset is a whole number of quarter
# hours, so midnights fall on slot edges and only a DST change can fall inside. A UTC day
# can hold two (America/Goose_Bay fell back at 00:01 until 2010: the 1st, the 31st, then
# the 1st again; tests/integration/test_loader_pg.py).
_FACTS_SQL = """
WITH learners AS (SELECT CAST(%(ids)s AS integer[]) AS ids)
SELECT 0, NULL::int, NULL::bigint, NULL::float8, NULL::timestamptz, NULL::timestamptz,
       NULL::bool, revision
  FROM catalog_revision WHERE id = 1
UNION ALL
SELECT 1, user_id, id, NULL, NULL, NULL, NULL, NULL
  FROM progress_events
 WHERE user_id = ANY(CAST((SELECT ids FROM learners) AS integer[])) AND processed_at IS NULL
UNION ALL
SELECT 5, user_id, count(*), NULL, min(occurred_at), max(occurred_at), NULL, NULL
  FROM progress_events WHERE user_id = ANY(CAST((SELECT ids FROM learners) AS integer[]))
 GROUP BY user_id, date_bin('15 minutes', occurred_at, TIMESTAMPTZ '2000-01-01 00:00+00')
UNION ALL
SELECT 2, user_id, module_id, NULL, NULL, NULL, NULL, NULL
  FROM module_completions WHERE user_id = ANY(CAST((SELECT ids FROM learners) AS integer[]))
UNION ALL
SELECT 3, user_id, assessment_id, max(score), NULL, NULL, NULL, NULL
  FROM assessment_attempts WHERE user_id = ANY(CAST((SELECT ids FROM learners) AS integer[]))
 GROUP BY user_id, assessment_id
UNION ALL
SELECT 4, user_id, NULL, NULL, NULL, NULL, revoked_at IS NULL, dedupe_key
  FROM achievements WHERE user_id = ANY(CAST((SELECT ids FROM learners) AS integer[]))
"""


def facts_in_one_statement(learners: Sequence[Learner]) -> Facts:
    """What :func:`facts_by_kind` returns, from :data:`_FACTS_SQL` in the session's transaction."""
    zones = {learner.id: learner_zone(learner.timezone) for learner in learners}
    rows = in_session(_FACTS_SQL, {"ids": list(zones)})
    indexed = catalog_for_revision(next((row[7] for row in rows if row[0] == 0), None))
    days: dict[int, ActiveDays] = defaultdict(ActiveDays)
    modules: dict[int, set[str]] = defaultdict(set)
    scores: dict[int, dict[str, float]] = defaultdict(dict)
    held: dict[int, dict[str, bool]] = defaultdict(dict)
    for kind, user_id, ref, best, first, last, active, text in rows:
        if kind == 5:
            zone = zones[user_id]
            day = first.astimezone(zone).date()
            days[user_id].add_slot(ref, day, day if ref == 1 else last.astimezone(zone).date())
        elif kind == 1:
            days[user_id].pending.append(ref)
        elif kind == 2 and ref in indexed.module_keys:
            modules[user_id].add(indexed.module_keys[ref])
        elif kind == 3 and ref in indexed.assessment_keys:
            scores[user_id][indexed.assessment_keys[ref]] = float(best)
        elif kind == 4:
            held[user_id][text] = active
    return indexed, days, modules, scores, held


_KEYS_OF = select(Achievement.user_id, Achievement.dedupe_key,
                  Achievement.revoked_at.is_(None)).where(
    Achievement.user_id.in_(bindparam("ids", expanding=True)))


def existing_keys(user_ids: Sequence[int]) -> dict[int, dict[str, bool]]:
    """Every dedupe key each learner holds -> not revoked. Revoked keys are kept: they
    block re-awarding, though ``holds`` criteria do not count them."""
    found: dict[int, dict[str, bool]] = {user_id: {} for user_id in user_ids}
    for user_id, key, active in db.session.execute(_KEYS_OF, {"ids": list(user_ids)}):
        found[user_id][key] = bool(active)
    return found
