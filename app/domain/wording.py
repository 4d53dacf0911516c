"""The words of built-in awards as message ids: data in the domain, language at the edge.

The domain must not import Flask-Babel, so it only *marks* its message ids:
``N_`` (one id) and ``Nn_`` (a singular/plural pair counted by a metadata key)
return their arguments unchanged, and pybabel extracts them as keywords
(``app/infra/extraction.py``). An award stores its metadata; its title and
description are these ids filled from it, in English when stored and in the
reader's language when shown (``app/read/wording.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def N_(message: str) -> str:
    """Mark a message id for extraction; translated where it is shown."""
    return message


@dataclass(frozen=True)
class Words:
    """A message id filled from award metadata; with ``plural``, counted by ``count``."""

    singular: str
    plural: str | None = None
    count: str | None = None

    def number(self, meta: Mapping[str, Any]) -> int | None:
        return int(meta[self.count]) if self.count else None

    def english(self, meta: Mapping[str, Any]) -> str:
        """The text in English (the message ids' language), as stored with the award."""
        n = self.number(meta)
        message = self.singular if n is None or n == 1 or self.plural is None else self.plural
        return message % {**{k: plain(v) for k, v in meta.items()}, "num": n}


def Nn_(singular: str, plural: str, count: str) -> Words:
    """Mark a singular/plural pair counted by metadata key ``count``."""
    return Words(singular, plural, count)


def plain(value: Any) -> Any:
    """Numbers as the English texts always showed them (``9.0`` as ``9``)."""
    return f"{value:g}" if isinstance(value, float) else value


# The badge stage's type words (registered in app/domain/badge_rules.py), marked here.
STAGE_WORDS = (N_("Badge"), N_("A badge its course's authors defined."))

# Title and description of each built-in award, keyed by type (milestones also by counter).
AWARD_WORDS: dict[str, tuple[Words, Words]] = {
    "module_complete": (Words(N_("Module complete: %(module_title)s")),
                        Words(N_("You completed %(module_title)s."))),
    "unit_complete": (Words(N_("Unit complete: %(unit_title)s")),
                      Words(N_("You completed the unit %(unit_title)s."))),
    "course_complete": (Words(N_("Course complete: %(course_title)s")),
                        Words(N_("You completed the course %(course_title)s. Congratulations!"))),
    "high_score": (Words(N_("High score: %(assessment_title)s")),
                   Words(N_("You scored %(score)s of %(max_score)s on %(assessment_title)s."))),
    "perfect_score": (Words(N_("Perfect score: %(assessment_title)s")),
                      Words(N_("Full marks on %(assessment_title)s!"))),
    "streak": (Nn_("%(num)s-day streak", "%(num)s-day streak", "days"),
               Nn_("You learned on %(num)s day in a row.",
                   "You learned on %(num)s days in a row.", "days")),
    "milestone:modules": (Nn_("%(num)s module completed", "%(num)s modules completed",
                              "threshold"),
                          Nn_("You have completed %(num)s module.",
                              "You have completed %(num)s modules.", "threshold")),
    "milestone:courses": (Nn_("%(num)s course completed", "%(num)s courses completed",
                              "threshold"),
                          Nn_("You have completed %(num)s course.",
                              "You have completed %(num)s courses.", "threshold")),
}


# What a built-in award certifies, to a visitor of its public page: the third person, no
# subject (the page says whom it was issued to), by type (milestones also by counter).
PUBLIC_WORDS: dict[str, Words] = {
    "module_complete": Words(N_("Completed the module %(module_title)s.")),
    "unit_complete": Words(N_("Completed the unit %(unit_title)s.")),
    "course_complete": Words(N_("Completed the course %(course_title)s.")),
    "high_score": Words(N_("Scored %(score)s of %(max_score)s on %(assessment_title)s.")),
    "perfect_score": Words(N_("Full marks on %(assessment_title)s.")),
    "streak": Nn_("Learned on %(num)s day in a row.", "Learned on %(num)s days in a row.",
                  "days"),
    "milestone:modules": Nn_("Completed %(num)s module.", "Completed %(num)s modules.",
                             "threshold"),
    "milestone:courses": Nn_("Completed %(num)s course.", "Completed %(num)s courses.",
                             "threshold"),
}
# The criteria of a tiered built-in badge (the others' are their rule's description).
CRITERIA_WORDS: dict[str, Words] = {
    "streak": Nn_("Learn on %(num)s consecutive day, counted in the learner's own time zone.",
                  "Learn on %(num)s consecutive days, counted in the learner's own time zone.",
                  "days"),
    "milestone:modules": Nn_("Complete %(num)s module in total.",
                             "Complete %(num)s modules in total.", "threshold"),
    "milestone:courses": Nn_("Complete %(num)s course in total.",
                             "Complete %(num)s courses in total.", "threshold"),
}


def _keyed(award_type: str, meta: Mapping[str, Any]) -> str:
    return f"milestone:{meta.get('counter', 'modules')}" if award_type == "milestone" \
        else award_type


def public_words(award_type: str, meta: Mapping[str, Any]) -> Words | None:
    """A built-in award's third-person description; None for authored badges."""
    return PUBLIC_WORDS.get(_keyed(award_type, meta))


def criteria_words(award_type: str, meta: Mapping[str, Any]) -> Words | None:
    """A tiered built-in badge's criteria; None for the others."""
    return CRITERIA_WORDS.get(_keyed(award_type, meta))


def award_words(award_type: str, meta: Mapping[str, Any]) -> tuple[Words, Words] | None:
    """The words of a built-in award; None for authored badges (their text is content)."""
    if award_type == "milestone":
        return AWARD_WORDS.get(f"milestone:{meta.get('counter', 'modules')}")
    return AWARD_WORDS.get(award_type)


def english_words(award_type: str, meta: Mapping[str, Any]) -> tuple[str, str]:
    """The English title and description a rule stores with its award."""
    words = award_words(award_type, meta)
    if words is None:
        raise KeyError(award_type)
    return words[0].english(meta), words[1].english(meta)


# Progress toward the next level (summary's next milestones), keyed by (type, unit).
PROGRESS_WORDS: dict[tuple[str, str], Words] = {
    ("streak", "days"): Nn_("streak %(current)s of %(num)s day",
                            "streak %(current)s of %(num)s days", "target"),
    ("any", "days"): Nn_("%(current)s of %(num)s day", "%(current)s of %(num)s days", "target"),
    ("any", "modules"): Nn_("%(current)s of %(num)s module", "%(current)s of %(num)s modules",
                            "target"),
    ("any", "courses"): Nn_("%(current)s of %(num)s course", "%(current)s of %(num)s courses",
                            "target"),
}
HIDDEN_BADGE = (Words(N_("Hidden badge")), Words(N_("Keep learning to discover it.")))


def progress_words(kind: str, unit: str) -> Words:
    """How far toward a level: ``streak 2 of 7 days``, ``3 of 10 modules``."""
    return PROGRESS_WORDS.get((kind, unit)) or PROGRESS_WORDS[("any", unit)]


def level_title_words(kind: str, unit: str) -> Words:
    """The title of a locked level: the title its award will have."""
    return AWARD_WORDS["streak"][0] if kind == "streak" else AWARD_WORDS[f"milestone:{unit}"][0]
