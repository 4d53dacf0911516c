"""The rules of design section 2, one function each. Pure: state in, awards out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from app.domain.registry import AwardDue, rule
from app.domain.state import LearnerState

STREAK_THRESHOLDS = [3, 7, 14, 30, 60, 100, 365]
MODULE_MILESTONES = [1, 10, 25, 50, 100, 250, 500]
COURSE_MILESTONES = [1, 5, 10, 25]


@rule("module_complete", "Module complete", "Finished every part of a module.")
def module_complete(state: LearnerState, cfg: dict[str, Any]) -> Iterator[AwardDue]:
    for key in sorted(state.completed_modules & state.catalog.modules.keys()):
        module = state.catalog.modules[key]
        unit = state.catalog.units[module.unit_key]
        yield AwardDue("module_complete", f"module_complete:{key}",
                       f"Module complete: {module.title}", f"You completed {module.title}.",
                       {"module": key, "module_title": module.title, "unit": unit.key,
                        "unit_title": unit.title, "course": unit.course_key,
                        "course_title": state.catalog.courses[unit.course_key].title})


@rule("unit_complete", "Unit complete",
      "Completed every module of a unit and passed its required assessments.")
def unit_complete(state: LearnerState, cfg: dict[str, Any]) -> Iterator[AwardDue]:
    for key in sorted(state.unit_keys()):
        if state.unit_complete(key):
            unit = state.catalog.units[key]
            course = state.catalog.courses[unit.course_key]
            yield AwardDue("unit_complete", f"unit_complete:{key}",
                           f"Unit complete: {unit.title}", f"You completed the unit {unit.title}.",
                           {"unit": key, "unit_title": unit.title, "course": course.key,
                            "course_title": course.title})


@rule("course_complete", "Course complete",
      "Completed every unit of a course and passed its required assessments.")
def course_complete(state: LearnerState, cfg: dict[str, Any]) -> Iterator[AwardDue]:
    for key in sorted(state.completed_courses()):
        course = state.catalog.courses[key]
        yield AwardDue("course_complete", f"course_complete:{key}",
                       f"Course complete: {course.title}",
                       f"You completed the course {course.title}. Congratulations!",
                       {"course": key, "course_title": course.title})


@rule("high_score", "High score", "Scored at least 90% on an assessment.", ratio=0.9)
def high_score(state: LearnerState, cfg: dict[str, Any]) -> Iterator[AwardDue]:
    for key in sorted(state.best_scores):
        assessment = state.catalog.assessments.get(key)
        ratio = state.best_ratio(assessment) if assessment else None
        if assessment and ratio is not None and ratio >= cfg["ratio"]:
            best = state.best_scores[key]
            yield AwardDue("high_score", f"high_score:{key}",
                           f"High score: {assessment.title}",
                           f"You scored {best:g} of {assessment.max_score:g} "
                           f"on {assessment.title}.",
                           {"assessment": key, "assessment_title": assessment.title,
                            "score": best, "max_score": assessment.max_score,
                            "course": assessment.course_key})


@rule("perfect_score", "Perfect score", "Scored full marks on an assessment.")
def perfect_score(state: LearnerState, cfg: dict[str, Any]) -> Iterator[AwardDue]:
    for key in sorted(state.best_scores):
        assessment = state.catalog.assessments.get(key)
        if assessment and state.best_scores[key] >= assessment.max_score:
            yield AwardDue("perfect_score", f"perfect_score:{key}",
                           f"Perfect score: {assessment.title}",
                           f"Full marks on {assessment.title}!",
                           {"assessment": key, "assessment_title": assessment.title,
                            "score": state.best_scores[key], "max_score": assessment.max_score,
                            "course": assessment.course_key})


@rule("streak", "Learning streak", "Learned on consecutive days in your own time zone.",
      thresholds=STREAK_THRESHOLDS)
def streak(state: LearnerState, cfg: dict[str, Any]) -> Iterator[AwardDue]:
    longest = longest_run(state.active_days)
    for days in sorted(set(cfg["thresholds"])):
        if longest >= days:
            yield AwardDue("streak", f"streak:{days}", f"{days}-day streak",
                           f"You learned on {days} days in a row.",
                           {"days": days, "threshold": days})


@rule("milestone", "Milestone", "Reached a count of completed modules or courses.",
      modules=MODULE_MILESTONES, courses=COURSE_MILESTONES)
def milestone(state: LearnerState, cfg: dict[str, Any]) -> Iterator[AwardDue]:
    counts = {"modules": state.completed_module_count(),
              "courses": len(state.completed_courses())}
    for what, count in counts.items():
        for threshold in sorted(set(cfg[what])):
            if count >= threshold:
                noun = what[:-1] if threshold == 1 else what
                yield AwardDue("milestone", f"milestone:{what}:{threshold}",
                               f"{threshold} {noun} completed",
                               f"You have completed {threshold} {noun}.",
                               {"counter": what, "threshold": threshold, "count": threshold,
                                "unit": what})


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
