"""Badges given by hand: an author awards a published badge to named learners, with a note
on why (a narrative, an evidence URL), as course teams do in Moodle, Badgr and Credly.

The award is the automatic one — type ``badge``, dedupe key ``badge:<key>``, the
published version's title and art — plus ``metadata["by_hand"]`` saying who gave it
and why (Open Badges carry that as ``evidence``). It is stored by the same
``INSERT ... ON CONFLICT DO NOTHING`` as detection's, under the same per-learner lock,
so a learner never holds it twice, whichever path came first, and a retried request
or task gives nothing twice. A list is all or nothing: one learner naming nobody
refuses the whole request before anything is written. Badges that ``holds`` the one
given are evaluated for its new holders right away, as detection would have.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select

from app.domain.authored_badge import AuthoredBadge
from app.domain.badge_rules import MAX_DESCRIPTION, award_of, badge_targets, courses_named
from app.domain.registry import AwardDue
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.infra.caches.catalog import catalog, published_badges
from app.infra.metrics import record as metrics
from app.models import Achievement
from app.services.accounts.principal import Principal
from app.services.audit import actor_name, record_many
from app.services.awarding.awards import load_awards, lock_learners, store_awards
from app.services.awarding.backfill import backfill
from app.services.awarding.publishing import publish_awards
from app.services.badges.authoring import get_badge
from app.services.badges.recipients import resolve_items

MAX_URL = 2000
URL = re.compile(r"^https://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@dataclass(frozen=True)
class Note:
    """Why the badge is given, and whether the learners hear of it live."""

    narrative: str | None = None
    evidence_url: str | None = None
    notify: bool = True


@dataclass
class Outcome:
    awarded: list[tuple[int, int | None]] = field(default_factory=list)  # (user, award id)
    already_held: list[int] = field(default_factory=list)

    def add(self, other: Outcome) -> None:
        self.awarded += other.awarded
        self.already_held += other.already_held

    def as_dict(self) -> dict[str, Any]:
        return {"awarded": [{"user_id": u, "achievement_id": a} for u, a in self.awarded],
                "already_held": self.already_held}


def awardable(principal: Principal, key: str) -> AuthoredBadge:
    """The published definition of a badge this principal may award (as for publishing:
    others' badges are not found); a draft or archived badge is a conflict."""
    badge = get_badge(principal, key)
    if badge.status != "published":
        raise Conflict(f"badge {key!r} is {badge.status}: only a published badge is awarded",
                       fields={"key": [badge.status]})
    return published_badges(db.session)[key]


def reach(principal: Principal, badge: AuthoredBadge) -> set[str] | None:
    """The courses whose learners this principal may award to; None = everyone."""
    if principal.kind != "instructor":
        return None
    return courses_named(badge.criteria, catalog().view) or set()


def check_note(narrative: Any, evidence_url: Any, notify: bool = True) -> Note:
    """The note, or InvalidInput naming the field (nothing is stored)."""
    errors: dict[str, list[str]] = {}
    text = narrative.strip() if isinstance(narrative, str) else narrative
    if text is not None and (not isinstance(text, str) or len(text) > MAX_DESCRIPTION):
        errors["narrative"] = [f"text of at most {MAX_DESCRIPTION} characters"]
    url = evidence_url.strip() if isinstance(evidence_url, str) else evidence_url
    if url and (not isinstance(url, str) or len(url) > MAX_URL or not URL.match(url)):
        errors["evidence_url"] = ["an https:// URL"]
    if errors:
        raise InvalidInput("the note is invalid", fields=errors)
    return Note(text or None, url or None, notify)


def award_by_hand(principal: Principal, key: str, body: dict[str, Any]) -> dict[str, Any]:
    """The REST request: resolve every learner, refuse the lot if one names nobody, then
    give the badge to those who do not hold it yet."""
    badge = awardable(principal, key)
    note = check_note(body.get("narrative"), body.get("evidence_url"), body.get("notify", True))
    resolved = resolve_items(body.get("learners"), reach(principal, badge))
    if resolved.unknown:
        raise InvalidInput("some learners name no one you may award; nobody was awarded",
                           fields={place: [why] for place, why in resolved.unknown.items()})
    ids = [person.user_id for person in resolved.found]
    outcome = give(principal, badge, ids, note, dry_run=bool(body.get("dry_run")))
    return {**outcome.as_dict(), "dry_run": bool(body.get("dry_run"))}


def give(principal: Principal, badge: AuthoredBadge, user_ids: list[int], note: Note,
         *, dry_run: bool = False, checkpoint: Callable[[Outcome], None] | None = None
         ) -> Outcome:
    """Award ``badge`` to those of ``user_ids`` who do not hold it (revoked counts as held:
    restore it instead), in one transaction; the caller checked who may. ``checkpoint``
    writes its own rows into that transaction (a job's progress), so both commit or
    neither does."""
    if dry_run:
        held = holders_among(badge.dedupe_key, user_ids)
        db.session.rollback()
        return Outcome(awarded=[(u, None) for u in user_ids if u not in held],
                       already_held=[u for u in user_ids if u in held])
    lock_learners(user_ids)
    due = _due(badge, principal, note)
    # The insert skips those who hold it (revoked too): what it returns is who got it.
    stored = store_awards({user_id: [due] for user_id in user_ids}, source_event_id=None,
                          silent=not note.notify)
    record_many(actor_name(principal), "award.grant", "award", [
        (row.id, {"user_id": row.user_id, "dedupe_key": row.dedupe_key, "title": badge.title})
        for row in stored], note.narrative)
    given = {row.user_id: row.id for row in stored}
    outcome = Outcome(awarded=[(u, given[u]) for u in user_ids if u in given],
                      already_held=[u for u in user_ids if u not in given])
    if checkpoint is not None:
        checkpoint(outcome)
    db.session.commit()
    metrics.awards_stored(row.type for row in stored)
    if note.notify:
        publish_awards(load_awards([row.id for row in stored]))
    _follow_holds(badge, [user_id for user_id, _ in outcome.awarded], note.notify)
    return outcome


def _follow_holds(badge: AuthoredBadge, user_ids: list[int], notify: bool) -> None:
    """Badges that ``holds`` this one may be due now: evaluate the published badges for
    these learners (to a fixed point, as detection does), as detection would have on
    their next event. Skipped when no published badge names this one."""
    dependents = [other for other in published_badges(db.session).values()
                  if badge.dedupe_key in set(badge_targets(other.criteria))]
    if user_ids and dependents:
        backfill(rule="badge", notify=notify, user_ids=user_ids)


def holders_among(dedupe_key: str, user_ids: list[int]) -> set[int]:
    """Which of these learners hold the award, revoked or not."""
    held: set[int] = set()
    for start in range(0, len(user_ids), 900):
        chunk = user_ids[start:start + 900]
        held.update(db.session.scalars(select(Achievement.user_id).where(
            Achievement.dedupe_key == dedupe_key, Achievement.user_id.in_(chunk))))
    return held


def _due(badge: AuthoredBadge, principal: Principal, note: Note) -> AwardDue:
    """The automatic award, plus who gave it and why (Open Badges ``evidence``)."""
    due = award_of(badge)
    by_hand = {"by": principal.name or actor_name(principal), "narrative": note.narrative,
               "evidence_url": note.evidence_url}
    return replace(due, metadata={**due.metadata, "by_hand": by_hand})
