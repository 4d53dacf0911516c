"""What a summary is computed from, read in one round trip on PostgreSQL.

The summary needs the learner's time zone, their awards with holder counts,
the holder counts of every milestone level, the rarity denominator and the
learner's state (completed modules, best scores, event times) against the
catalog. Through the ORM that was six statements and ~2.5 ms of Python;
here it is one statement (scalar subqueries over the same indexes) plus the
per-process catalog, which is reloaded only when the revision read in that
same statement changed. Other databases use the ORM reads (the reference
the PostgreSQL statement is tested against).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, null, select, union_all
from sqlalchemy.orm import aliased

from app.domain.state import LearnerState
from app.errors import NotFound
from app.extensions import db
from app.infra.caches.catalog import catalog_for_revision
from app.infra.caches.learner_count import learner_count
from app.infra.sql import fetch_one, on_postgresql
from app.models import Achievement, AchievementStat, User
from app.models.user import LEARNER_ROLE
from app.read.learner_state import Learner, load_state, state_from_rows

Version = tuple[str | None, str | None, int, int, tuple[str, ...]]


@dataclass(frozen=True)
class SummaryFacts:
    learner: Learner
    learners: int  # the rarity denominator: people with the learner role, at least 1
    awards: list[tuple[str, str, bool]]  # (dedupe_key, type, revoked) of every award held
    holders: dict[str, int]  # holders of those keys and of every level key
    state: LearnerState
    version: Version | None = None  # what learner_version() said in the same snapshot


def version_of(timezone: str | None, revision: str | None, events: int,
               awards: list[tuple[str, str, bool]]) -> Version:
    """Everything of the learner's own a summary depends on, as :func:`learner_version` reads it.

    Exact, not a hash: events and awards are never deleted and every progress
    fact is stored with its event, so the two counts change with every new
    fact or award, and revocation changes the sorted revoked keys.
    """
    revoked = tuple(sorted(key for key, _, is_revoked in awards if is_revoked))
    return timezone, revision, events, len(awards), revoked


VERSION_SQL = """
SELECT u.timezone, (SELECT revision FROM catalog_revision WHERE id = 1),
  (SELECT count(*) FROM progress_events WHERE user_id = u.id),
  (SELECT count(*) FROM achievements WHERE user_id = u.id),
  ARRAY(SELECT dedupe_key FROM achievements WHERE user_id = u.id AND revoked_at IS NOT NULL)
FROM users u WHERE u.id = %s
"""


def learner_version(user_id: int) -> Version | None:
    """The learner's version in one small statement (PostgreSQL; None elsewhere)."""
    if not on_postgresql():
        return None
    row = fetch_one(VERSION_SQL, (user_id,))
    if row is None:
        raise NotFound(f"no user {user_id}")
    timezone, revision, events, awards, revoked = row
    return timezone, revision, int(events), int(awards), tuple(sorted(revoked))


def summary_facts(user_id: int, level_keys: list[str]) -> SummaryFacts:
    if on_postgresql():
        return _facts_postgresql(user_id, level_keys)
    return _facts_orm(user_id, level_keys)


SUMMARY_SQL = """
SELECT u.timezone,
  (SELECT revision FROM catalog_revision WHERE id = 1),
  (SELECT json_agg(json_build_array(a.dedupe_key, a.achievement_type, a.revoked_at IS NOT NULL,
                                    coalesce(s.holders, 0)))
     FROM achievements a LEFT JOIN achievement_stats s ON s.dedupe_key = a.dedupe_key
    WHERE a.user_id = u.id),
  (SELECT json_object_agg(s.dedupe_key, s.holders) FROM achievement_stats s
    WHERE s.dedupe_key = ANY(%(levels)s::text[])),
  ARRAY(SELECT module_id FROM module_completions WHERE user_id = u.id),
  (SELECT json_agg(json_build_array(b.assessment_id, b.best)) FROM
     (SELECT assessment_id, max(score) AS best FROM assessment_attempts
       WHERE user_id = u.id GROUP BY assessment_id) b),
  ARRAY(SELECT occurred_at FROM progress_events WHERE user_id = u.id)
FROM users u WHERE u.id = %(user_id)s
"""


def _facts_postgresql(user_id: int, level_keys: list[str]) -> SummaryFacts:
    row = fetch_one(SUMMARY_SQL, {"user_id": user_id, "levels": level_keys})
    if row is None:
        raise NotFound(f"no user {user_id}")
    timezone, revision, awards, level_holders, modules, scores, moments = row
    learner = Learner(user_id, timezone)
    holders = {key: int(count) for key, count in (level_holders or {}).items()}
    held = []
    for key, kind, revoked, count in awards or ():
        held.append((key, kind, bool(revoked)))
        holders[key] = int(count)
    state = state_from_rows(learner, catalog_for_revision(revision), modules,
                            [(a, float(best)) for a, best in scores or ()], moments)
    return SummaryFacts(learner, learner_count.get(), held, holders, state,
                        version_of(timezone, revision, len(moments), held))


def _facts_orm(user_id: int, level_keys: list[str]) -> SummaryFacts:
    learner, learners = _learner(user_id)
    awards, holders = _awards_and_holders(user_id, level_keys)
    return SummaryFacts(learner, learners, awards, holders, load_state(learner))


def _learner(user_id: int) -> tuple[Learner, int]:
    """The learner and the rarity denominator (people with the learner role, at least 1)."""
    others = aliased(User)
    learners = (select(func.count()).select_from(others)
                .where(others.role == LEARNER_ROLE).scalar_subquery())
    row = db.session.execute(select(User.timezone, learners).where(User.id == user_id)).first()
    if row is None:
        raise NotFound(f"no user {user_id}")
    return Learner(user_id, row[0]), max(int(row[1] or 0), 1)


def _awards_and_holders(user_id: int, level_keys: list[str]
                        ) -> tuple[list[tuple[str, str, bool]], dict[str, int]]:
    """((key, type, revoked) of every award the learner holds, holders per key), where
    the holder counts cover those keys and every level key (the possible next milestones)."""
    stat = AchievementStat
    own = (select(Achievement.dedupe_key, Achievement.achievement_type, Achievement.revoked_at,
                  stat.holders)
           .outerjoin(stat, stat.dedupe_key == Achievement.dedupe_key)
           .where(Achievement.user_id == user_id))
    levels = select(stat.dedupe_key, null(), null(), stat.holders).where(
        stat.dedupe_key.in_(level_keys))
    awards, holders = [], {}
    for key, kind, revoked, count in db.session.execute(union_all(own, levels)):
        if kind is not None:
            awards.append((key, kind, revoked is not None))
        holders[key] = int(count or 0)
    return awards, holders
