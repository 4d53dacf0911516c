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


@dataclass(frozen=True)
class Facts:
    """What the design's rules read of one learner, recomputed from the events."""

    done: frozenset[str]  # completed modules
    best: dict[str, float]  # best score per assessment
    maxima: dict[str, float]  # max score per assessment
    units_done: frozenset[str]
    courses_done: tuple[str, ...]
    longest_run: int  # longest run of consecutive active local days
    module_course: dict[str, str]  # module key -> its course key

    def ratio(self, assessment: str) -> float | None:
        return self.best[assessment] / self.maxima[assessment] if assessment in self.best \
            else None


def leaves(doc: dict[str, Any]) -> tuple[list[str], dict[str, float]]:
    modules, maxima = [], {}
    for course in doc["courses"]:
        owners = [course, *course["units"], *(m for u in course["units"] for m in u["modules"])]
        maxima.update({a["key"]: a["max_score"]
                       for o in owners for a in o.get("assessments", [])})
        modules += [m["key"] for u in course["units"] for m in u["modules"]]
    return modules, maxima


def learner_facts(doc: dict[str, Any], events: list[Event], zone: str) -> Facts:
    done = {e.module for e in events if e.kind == "module_completed"}
    best: dict[str, float] = {}
    for e in events:
        if e.kind == "assessment_scored":
            best[e.assessment] = max(best.get(e.assessment, 0.0), e.score)

    def passed(a: dict[str, Any]) -> bool:
        return a["key"] in best and best[a["key"]] / a["max_score"] >= a.get("pass_ratio", 0.6)

    def unit_done(unit: dict[str, Any]) -> bool:
        owners = [unit, *unit["modules"]]
        required = [a for o in owners for a in o.get("assessments", []) if a.get("required")]
        return ((bool(unit["modules"]) or bool(required))
                and all(m["key"] in done for m in unit["modules"])
                and all(passed(a) for a in required))

    units, courses = set(), []
    for course in doc["courses"]:
        units |= {u["key"] for u in course["units"] if unit_done(u)}
        required = [a for a in course.get("assessments", []) if a.get("required")]
        if ((course["units"] or required) and all(unit_done(u) for u in course["units"])
                and all(passed(a) for a in required)):
            courses.append(course["key"])
    module_course = {m["key"]: c["key"] for c in doc["courses"] for u in c["units"]
                     for m in u["modules"]}
    return Facts(frozenset(done), best, leaves(doc)[1], frozenset(units), tuple(courses),
                 _longest_run(events, zone), module_course)


def expected_awards(doc: dict[str, Any], events: list[Event], zone: str,
                    rules: dict[str, Any]) -> set[str]:
    facts = learner_facts(doc, events, zone)
    awards = {f"module_complete:{m}" for m in facts.done}
    awards |= {f"unit_complete:{u}" for u in facts.units_done}
    awards |= {f"course_complete:{c}" for c in facts.courses_done}
    for key, score in facts.best.items():
        if score / facts.maxima[key] >= 0.9:
            awards.add(f"high_score:{key}")
        if score == facts.maxima[key]:
            awards.add(f"perfect_score:{key}")
    awards |= {f"streak:{n}" for n in rules["streak"]["thresholds"] if facts.longest_run >= n}
    awards |= {f"milestone:modules:{n}" for n in rules["milestone"]["modules"]
               if len(facts.done) >= n}
    awards |= {f"milestone:courses:{n}" for n in rules["milestone"]["courses"]
               if len(facts.courses_done) >= n}
    return awards


def _longest_run(events: list[Event], zone: str) -> int:
    days = sorted({e.when.astimezone(ZoneInfo(zone)).date() for e in events})
    longest, run = 0, 0
    for previous, day in zip([None, *days], days, strict=False):
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        longest = max(longest, run)
    return longest


DEFAULT_RULES = {"streak": {"thresholds": [3, 7, 14, 30, 60, 100, 365]},
                 "milestone": {"modules": [1, 10, 25, 50, 100, 250, 500],
                               "courses": [1, 5, 10, 25]}}
SMALL_RULES = {"streak": {"thresholds": [2, 3, 5]},  # low enough for short random histories
               "milestone": {"modules": [1, 2, 4, 7], "courses": [1, 2]}}
