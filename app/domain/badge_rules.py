"""Author-defined badges: their definitions, validation, and the badge stage of evaluation.

A definition is ``{"key", "title", "description", "criteria", "hidden"?,
"expires_after_days"?, "image"?}``; its awards have type ``badge`` and dedupe key
``badge:<key>``. Validation names the failing path (``criteria.all[1].holds``) and
refuses unknown keys and ``holds`` cycles. Evaluation follows ``holds`` chains to a
fixed point in one pass: every criterion is monotone, so a badge that holds stays
held, and iterating until nothing new holds terminates after at most one round per
badge.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from app.domain import criteria
from app.domain.authored_badge import AuthoredBadge
from app.domain.badge_art import image_problems
from app.domain.criteria import AWARD_SUBJECTS, Context, Problems
from app.domain.registry import AwardDue, stage
from app.domain.state import CatalogView, LearnerState
from app.errors import InvalidInput

KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")
FIELDS = {"key", "title", "description", "criteria", "hidden", "expires_after_days", "image"}
MAX_TITLE, MAX_DESCRIPTION = 120, 2000


def award_of(badge: AuthoredBadge) -> AwardDue:
    """The award a badge makes: its version and what the display needs ride in metadata."""
    return AwardDue("badge", badge.dedupe_key, badge.title, badge.description,
                    {"badge": badge.key, "version": badge.version, "hidden": badge.hidden,
                     "expires_after_days": badge.expires_after_days, "image": badge.image})


def parse_definition(body: Any, ctx: Context, others: Mapping[str, AuthoredBadge],
                     version: int = 1) -> AuthoredBadge:
    """A valid definition from ``body``, or InvalidInput naming every failing path.

    ``others`` are the other badges' current definitions (for ``holds`` cycles).
    """
    problems = Problems()
    if not isinstance(body, dict):
        raise InvalidInput("a badge definition is a JSON object", fields={"": ["not an object"]})
    _check_fields(body, ctx, problems)
    if not problems.errors:
        _check_cycles(body["key"], problems.holds, others, problems)
    if problems.errors:
        raise InvalidInput("invalid badge definition", fields=problems.errors)
    return AuthoredBadge(body["key"], body["title"].strip(), body.get("description", ""),
                           body["criteria"], version, bool(body.get("hidden", False)),
                           body.get("expires_after_days"), body.get("image") or {})


def _check_fields(body: dict[str, Any], ctx: Context, problems: Problems) -> None:
    for name in sorted(set(body) - FIELDS):
        problems.add(name, "unknown field")
    if not isinstance(body.get("key"), str) or not KEY.fullmatch(body["key"]):
        problems.add("key", "1-80 lowercase letters, digits, '.', '_' or '-'")
    if not isinstance(body.get("title"), str) or not 0 < len(body["title"].strip()) <= MAX_TITLE:
        problems.add("title", f"required, at most {MAX_TITLE} characters")
    if not isinstance(body.get("description", ""), str) or \
            len(body.get("description", "")) > MAX_DESCRIPTION:
        problems.add("description", f"text of at most {MAX_DESCRIPTION} characters")
    if not isinstance(body.get("hidden", False), bool):
        problems.add("hidden", "true or false")
    days = body.get("expires_after_days")
    if days is not None and (not criteria.is_whole(days) or not 1 <= days <= 36_500):
        problems.add("expires_after_days", "null or a whole number of days from 1 to 36500")
    for path, message in image_problems(body.get("image")).items():
        problems.add(path, message)
    if "criteria" not in body:
        problems.add("criteria", "required")
    else:
        criteria.validate(body["criteria"], "criteria", ctx, problems)


def _check_cycles(key: str, holds: set[str], others: Mapping[str, AuthoredBadge],
                  problems: Problems) -> None:
    """Refuse a definition whose ``holds`` chain leads back to itself."""
    seen: set[str] = set()
    stack = [target.removeprefix("badge:") for target in holds if target.startswith("badge:")]
    while stack:
        current = stack.pop()
        if current == key:
            problems.add("criteria", f"'holds' makes a cycle back to badge:{key}")
            return
        if current in seen or current not in others:
            continue
        seen.add(current)
        stack += [t.removeprefix("badge:") for t in badge_targets(others[current].criteria)]


def badge_targets(node: Any) -> Iterator[str]:
    """Every ``badge:<key>`` a criteria tree names in ``holds``."""
    if not isinstance(node, dict):
        return
    target = node.get("holds")
    if isinstance(target, str) and target.startswith("badge:"):
        yield target
    for child in criteria.child_criteria(node):
        yield from badge_targets(child)


def earned_badges(state: LearnerState, badges: Iterable[AuthoredBadge],
                  held: Iterable[str]) -> list[AwardDue]:
    """The badges whose criteria hold, following ``holds`` to a fixed point.

    ``held`` is every award the learner holds or is owed by the other rules in this
    same evaluation; a badge newly earned counts as held for the rest. Revoked awards
    (``state.revoked``) neither count as held nor are earned again.
    """
    holding = frozenset(held) - state.revoked
    pending = [b for b in badges if b.dedupe_key not in holding | state.revoked]
    earned: list[AwardDue] = []
    progress = True
    while progress:
        progress = False
        for badge in list(pending):
            if criteria.holds(badge.criteria, state, holding):
                earned.append(award_of(badge))
                holding |= {badge.dedupe_key}
                pending.remove(badge)
                progress = True
    return earned


@stage("badge", "Badge", "A badge its course's authors defined.")
def badge_stage(state: LearnerState, cfg: dict[str, Any], due: frozenset[str]
                ) -> list[AwardDue]:
    """The registry's last step: published badges, given what the learner holds and is
    owed by the built-in rules in this evaluation."""
    return earned_badges(state, state.catalog.badges.values(), state.held | due)


def courses_named(node: Any, catalog: CatalogView) -> set[str] | None:
    """The courses a valid criteria tree is about, or None when some part is about no one
    course (a streak, a global count, a level): only course-wide authors may edit those."""
    if not isinstance(node, dict):
        return set()
    children = criteria.child_criteria(node)
    if children:
        found = [courses_named(child, catalog) for child in children]
        return None if any(f is None for f in found) else set().union(*found)
    course = _course_of_leaf(node, catalog)
    return None if course is None else {course}


def _course_of_leaf(node: dict[str, Any], catalog: CatalogView) -> str | None:
    for kind in ("module_complete", "unit_complete", "course_complete"):
        if kind in node:
            return catalog.course_of(AWARD_SUBJECTS[kind], node[kind])
    if "score_at_least" in node:
        return catalog.course_of("assessments", node["score_at_least"]["assessment"])
    if "modules_completed" in node:
        return node.get("course")
    prefix, _, rest = node.get("holds", "").partition(":")
    entries = AWARD_SUBJECTS.get(prefix)  # a level or another badge: about no one course
    return catalog.course_of(entries, rest) if entries else None
