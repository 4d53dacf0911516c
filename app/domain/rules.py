"""The rules of design section 2, one function each. Pure: state in, awards out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from app.domain.registry import AwardDue, rule
from app.domain.state import LearnerState
from app.domain.wording import N_

STREAK_THRESHOLDS = [3, 7, 14, 30, 60, 100, 365]
MODULE_MILESTONES = [1, 10, 25, 50, 100, 250, 500]
COURSE_MILESTONES = [1, 5, 10, 25]


@rule("module_complete", N_("Module complete"), N_("Finished every part of a module."))
def module_complete(state: LearnerState, cfg: dict[str, Any]) -> Iterator[AwardDue]:
    for key in sorted(state.completed_modules & state.catalog.modules.keys()):
        module = state.catalog.modules[key]
        unit = state.catalog.units[module.unit_key]
        yield due("module_complete", f"module_complete:{key}",
                  {"module": key, "module_title": module.title, "unit": unit.key,
                   "unit_title": unit.title, "course": unit.course_key,
                   "course_title": state.catalog.courses[unit.course_key].title})


@rule("unit_complete", N_("Unit complete"),
      N_("Completed every module of a unit and passed its required assessments."))
def unit_complete(state: LearnerState, cfg: dict[str, Any]) -> Iterator[AwardDue]:
    for key in sorted(state.unit_keys()):
        if state.unit_complete(key):
            unit = state.catalog.units[key]
            course = state.catalog.courses[unit.course_key]
            yield due("unit_complete", f"unit_complete:{key}",
                      {"unit": key, "unit_title": unit.title, "course": course.key,
                       "course_title": course.title})


@rule("course_complete", N_("Course complete"),
      N_("Completed every unit of a course and passed its required assessments."))
def course_complete(state: LearnerState, cfg: dict[str, Any]) -> Iterator[AwardDue]:
    for key in sorted(state.completed_courses()):
        course = state.catalog.courses[key]
        yield due("course_complete", f"course_complete:{key}",
                  {"course": key, "course_title": course.title})


@rule("high_score", N_("High score"), N_("Scored at least 90 percent on an assessment."),
      ratio=0.9)
def high_score(state: LearnerState, cfg: dict[str, Any]) -> Iterator[AwardDue]:
    for key in sorted(state.best_scores):
        assessment = state.catalog.assessments.get(key)
        ratio = state.best_ratio(assessment) if assessment else None
        if assessment and ratio is not None and ratio >= cfg["ratio"]:
            best = state.best_scores[key]
            yield due("high_score", f"high_score:{key}",
                      {"assessment": key, "assessment_title": assessment.title,
                       "score": best, "max_score": assessment.max_score,
                       "course": assessment.course_key})


@rule("perfect_score", N_("Perfect score"), N_("Scored full marks on an assessment."))
def perfect_score(state: LearnerState, cfg: dict[str, Any]) -> Iterator[AwardDue]:
    for key in sorted(state.best_scores):
        assessment = state.catalog.assessments.get(key)
        if assessment and state.best_scores[key] >= assessment.max_score:
            yield due("perfect_score", f"perfect_score:{key}",
                      {"assessment": key, "assessment_title": assessment.title,
                       "score": state.best_scores[key], "max_score": assessment.max_score,
                       "course": assessment.course_key})


@rule("streak", N_("Learning streak"),
      N_("Learned on consecutive days in your own time zone."),
      thresholds=STREAK_THRESHOLDS)
def streak(state: LearnerState, cfg: dict[str, Any]) -> Iterator[AwardDue]:
    longest = longest_run(state.active_days)
    for days in sorted(set(cfg["thresholds"])):
        if longest >= days:
            yield due("streak", f"streak:{days}", {"days": days, "threshold": days})


@rule("milestone", N_("Milestone"), N_("Reached a count of completed modules or courses."),
      modules=MODULE_MILESTONES, courses=COURSE_MILESTONES)
def milestone(state: LearnerState, cfg: dict[str, Any]) -> Iterator[AwardDue]:
    counts = {"modules": state.completed_module_count(),
              "courses": len(state.completed_courses())}
    for what, count in counts.items():
        for threshold in sorted(set(cfg[what])):
            if count >= threshold:
                yield due("milestone", f"milestone:{what}:{threshold}",
                          {"counter": what, "threshold": threshold, "count": threshold,
                           "unit": what})


def due(award_type: str, dedupe_key: str, meta: dict[str, Any]) -> AwardDue:
    """An award whose English words come from its metadata (app/domain/wording.py)."""
    return AwardDue(award_type, dedupe_key, metadata=meta)


def longest_run(days: set[date]) -> int:
    """Length of the longest run of consecutive calendar days."""
    best = 0
    for day in days:
        if day - timedelta(days=1) in days:
            continue  # not the start of a run
        length = 1
        while day + timedelta(days=length) in days:
            length += 1
        best = max(best, length)
    return best
