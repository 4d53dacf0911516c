"""An independent recomputation of design section 2 from raw inputs: the test oracle.

Written from the design text, not from ``app.achievements``: it reads the
catalog *document* and the list of events, nothing from the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Event:
    kind: str
    when: datetime
    module: str | None = None
    assessment: str | None = None
    score: float | None = None


def leaves(doc: dict[str, Any]) -> tuple[list[str], dict[str, float]]:
    modules, maxima = [], {}
    for course in doc["courses"]:
        owners = [course, *course["units"], *(m for u in course["units"] for m in u["modules"])]
        maxima.update({a["key"]: a["max_score"]
                       for o in owners for a in o.get("assessments", [])})
        modules += [m["key"] for u in course["units"] for m in u["modules"]]
    return modules, maxima


def expected_awards(doc: dict[str, Any], events: list[Event], zone: str,
                    rules: dict[str, Any]) -> set[str]:
    done = {e.module for e in events if e.kind == "module_completed"}
    best: dict[str, float] = {}
    for e in events:
        if e.kind == "assessment_scored":
            best[e.assessment] = max(best.get(e.assessment, 0.0), e.score)
    _, maxima = leaves(doc)

    def passed(a: dict[str, Any]) -> bool:
        return a["key"] in best and best[a["key"]] / a["max_score"] >= a.get("pass_ratio", 0.6)

    def unit_done(unit: dict[str, Any]) -> bool:
        owners = [unit, *unit["modules"]]
        required = [a for o in owners for a in o.get("assessments", []) if a.get("required")]
        return ((bool(unit["modules"]) or bool(required))
                and all(m["key"] in done for m in unit["modules"])
                and all(passed(a) for a in required))

    awards = {f"module_complete:{m}" for m in done}
    finished_courses = 0
    for course in doc["courses"]:
        awards |= {f"unit_complete:{u['key']}" for u in course["units"] if unit_done(u)}
        required = [a for a in course.get("assessments", []) if a.get("required")]
        if ((course["units"] or required) and all(unit_done(u) for u in course["units"])
                and all(passed(a) for a in required)):
            awards.add(f"course_complete:{course['key']}")
            finished_courses += 1
    for key, score in best.items():
        if score / maxima[key] >= 0.9:
            awards.add(f"high_score:{key}")
        if score == maxima[key]:
            awards.add(f"perfect_score:{key}")
    awards |= _streaks(events, zone, rules["streak"]["thresholds"])
    awards |= {f"milestone:modules:{n}" for n in rules["milestone"]["modules"] if len(done) >= n}
    awards |= {f"milestone:courses:{n}" for n in rules["milestone"]["courses"]
               if finished_courses >= n}
    return awards


def _streaks(events: list[Event], zone: str, thresholds: list[int]) -> set[str]:
    days = sorted({e.when.astimezone(ZoneInfo(zone)).date() for e in events})
    longest, run = 0, 0
    for previous, day in zip([None, *days], days, strict=False):
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        longest = max(longest, run)
    return {f"streak:{n}" for n in thresholds if longest >= n}


DEFAULT_RULES = {"streak": {"thresholds": [3, 7, 14, 30, 60, 100, 365]},
                 "milestone": {"modules": [1, 10, 25, 50, 100, 250, 500],
                               "courses": [1, 5, 10, 25]}}
