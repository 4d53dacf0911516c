"""The demo quizzes: questions from the demo catalog file, graded on the server.

The catalog importer ignores the ``questions`` of an assessment; they live only
in the demo file, which is read once. Answers never reach the browser, and
the score is computed here from the submitted choices, never taken from the form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DEMO_FILE = Path(__file__).resolve().parents[2] / "services" / "catalog" / "demo_catalog.json"


@dataclass(frozen=True)
class Question:
    key: str
    prompt: str
    choices: tuple[str, ...]
    answer: int


@dataclass(frozen=True)
class Grade:
    score: float
    max_score: float
    correct: tuple[str, ...]
    """Keys of the questions answered correctly."""

    @property
    def ratio(self) -> float:
        return self.score / self.max_score if self.max_score else 0.0


@cache
def quizzes() -> dict[str, tuple[Question, ...]]:
    """Assessment key → its questions, for every assessment in the demo file that has any."""
    document = json.loads(DEMO_FILE.read_text())
    found: dict[str, tuple[Question, ...]] = {}
    for assessment in _assessments(document):
        if assessment.get("questions"):
            found[assessment["key"]] = tuple(_question(q) for q in assessment["questions"])
    return found


def quiz_for(assessment_key: str) -> tuple[Question, ...] | None:
    return quizzes().get(assessment_key)


def answered(questions: tuple[Question, ...], answers: Mapping[str, str]) -> bool:
    """Whether the submission chose anything: an empty one is refused, not scored 0."""
    return any(answers.get(q.key) for q in questions)


def grade(questions: tuple[Question, ...], answers: Mapping[str, str],
          max_score: float) -> Grade:
    """Score = share of correct answers scaled to the assessment's ``max_score``."""
    correct = tuple(q.key for q in questions if answers.get(q.key) == str(q.answer))
    score = round(max_score * len(correct) / len(questions), 2) if questions else 0.0
    return Grade(score=score, max_score=max_score, correct=correct)


def _question(data: dict[str, Any]) -> Question:
    return Question(data["key"], data["prompt"], tuple(data["choices"]), int(data["answer"]))


def _assessments(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for course in document.get("courses", []):
        found += course.get("assessments", [])
        for unit in course.get("units", []):
            found += unit.get("assessments", [])
            for module in unit.get("modules", []):
                found += module.get("assessments", [])
    return found
