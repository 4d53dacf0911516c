"""The reference evaluation of author-defined badges, written from the design text
(DESIGN.md section 2, "Author-defined badges"), not from ``app.domain.criteria``.

It reads the catalog document and the events (through the built-in oracle's
facts) and follows ``holds`` by plain repetition: evaluate every badge against
what is held, add what holds, repeat until nothing changes.
"""

from __future__ import annotations

from typing import Any

from tests.services.awarding.oracle import Event, Facts, expected_awards, learner_facts


def criterion_holds(node: dict[str, Any], facts: Facts, held: set[str]) -> bool:
    """One criterion, case by case as the design lists them."""
    if "all" in node:
        return all(criterion_holds(child, facts, held) for child in node["all"])
    if "any" in node:
        return any(criterion_holds(child, facts, held) for child in node["any"])
    if "at_least" in node:
        return sum(criterion_holds(c, facts, held) for c in node["of"]) >= node["at_least"]
    if "module_complete" in node:
        return node["module_complete"] in facts.done
    if "unit_complete" in node:
        return node["unit_complete"] in facts.units_done
    if "course_complete" in node:
        return node["course_complete"] in facts.courses_done
    if "score_at_least" in node:
        ratio = facts.ratio(node["score_at_least"]["assessment"])
        return ratio is not None and ratio >= node["score_at_least"]["ratio"]
    if "modules_completed" in node:
        course = node.get("course")
        count = sum(1 for m in facts.done if course is None or facts.module_course[m] == course)
        return count >= node["modules_completed"]
    if "streak_days" in node:
        return facts.longest_run >= node["streak_days"]
    return node["holds"] in held


def expected_with_badges(doc: dict[str, Any], events: list[Event], zone: str,
                         rules: dict[str, Any], badges: list[dict[str, Any]]) -> set[str]:
    """The built-in awards plus ``badge:<key>`` of every badge whose criteria hold."""
    facts = learner_facts(doc, events, zone)
    held = expected_awards(doc, events, zone, rules)
    changed = True
    while changed:
        earned = {f"badge:{b['key']}" for b in badges
                  if criterion_holds(b["criteria"], facts, held)}
        changed = not earned <= held
        held |= earned
    return held
