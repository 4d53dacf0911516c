"""The criteria registry's machinery: an entry per kind (validator, evaluator, builder
widget), and the walk that validates or evaluates a tree through the entries.

The kinds themselves are registered in :mod:`app.domain.criteria`; import that module,
not this one, so every kind is present.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from app.domain.state import CatalogView, LearnerState
from app.domain.wording import N_

MAX_DEPTH = 8
MAX_NODES = 200


@dataclass(frozen=True)
class Context:
    """What validation checks keys against: the catalog and the badges that exist."""

    catalog: CatalogView
    badge_keys: frozenset[str]


@dataclass
class Problems:
    """Field errors keyed by path (``criteria.all[1].holds``), plus every ``holds`` target."""

    errors: dict[str, list[str]] = field(default_factory=dict)
    holds: set[str] = field(default_factory=set)
    nodes: int = 0

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)


@dataclass(frozen=True)
class WidgetField:
    """One input of the console's criteria builder: ``choice`` names the list it picks from
    (``module``, ``unit``, ``course``, ``assessment``, ``badge``) or the kind of value.
    ``hint`` is what the builder says next to the field while it is incomplete
    (default: the one for its ``choice``, :data:`HINTS`)."""

    name: str
    label: str
    choice: str
    optional: bool = False
    hint: str = ""


# What an incomplete field asks for, in plain words (message ids: translated by the console).
HINTS = {
    "module": N_("Choose a module"), "unit": N_("Choose a unit"), "course": N_("Choose a course"),
    "assessment": N_("Choose an assessment"), "badge": N_("Choose an award"),
    "count": N_("Enter a whole number, 1 or more"),
    "ratio": N_("Enter a share from 0.01 to 1 (0.8 is 80%)"),
    "criteria": N_("Add at least one criterion"),
}


@dataclass(frozen=True)
class Widget:
    """A kind's form in the builder. Each field's ``name`` is its key in the criterion
    (``{"at_least": 2, "of": [...]}``), except when no field is named after the kind:
    then the fields sit in an object under the kind's key
    (``{"score_at_least": {"assessment": ..., "ratio": ...}}``)."""

    label: str
    fields: tuple[WidgetField, ...]


Validate = Callable[[dict[str, Any], str, Context, Problems, int], None]
Evaluate = Callable[[dict[str, Any], LearnerState, frozenset[str]], bool]


@dataclass(frozen=True)
class CriterionKind:
    key: str
    validate: Validate
    evaluate: Evaluate
    widget: Widget
    extra_keys: frozenset[str] = frozenset()


CRITERIA: dict[str, CriterionKind] = {}


def criterion(key: str, widget: Widget, extra_keys: Iterable[str] = ()
              ) -> Callable[[type], type]:
    """Register a kind from a class with static ``validate`` and ``evaluate``."""

    def register(cls: type) -> type:
        CRITERIA[key] = CriterionKind(key, cls.validate, cls.evaluate, widget,
                                      frozenset(extra_keys))
        return cls

    return register


def builder_spec() -> list[dict[str, Any]]:
    """Every kind's widget as plain data, for the console's criteria builder."""
    return [{"kind": kind.key, "label": kind.widget.label,
             "nested": all(f.name != kind.key for f in kind.widget.fields),
             "fields": [{"name": f.name, "label": f.label, "choice": f.choice,
                         "optional": f.optional, "hint": f.hint or HINTS.get(f.choice, "")}
                        for f in kind.widget.fields]}
            for kind in CRITERIA.values()]


def child_criteria(node: Any) -> list[Any]:
    """The children of a composite node: the lists its kind's widget marks as criteria
    (``all``, ``any``, ``at_least``'s ``of``); none for a leaf or a malformed node."""
    kind = kind_of(node) if isinstance(node, dict) else None
    if kind is None:
        return []
    return [child for f in kind.widget.fields if f.choice == "criteria"
            for child in node.get(f.name) or ()]


def kind_of(node: dict[str, Any]) -> CriterionKind | None:
    found = [CRITERIA[key] for key in node if key in CRITERIA]
    return found[0] if len(found) == 1 else None


def validate(node: Any, path: str, ctx: Context, problems: Problems, depth: int = 0) -> None:
    """Record every problem of ``node`` (and its children) under its path."""
    problems.nodes += 1
    if depth > MAX_DEPTH or problems.nodes > MAX_NODES:
        problems.add(path, f"criteria nest at most {MAX_DEPTH} deep and {MAX_NODES} in all")
        return
    kind = kind_of(node) if isinstance(node, dict) else None
    if kind is None:
        problems.add(path, "must be an object with exactly one of: " + ", ".join(CRITERIA))
        return
    unexpected = set(node) - {kind.key} - kind.extra_keys
    for key in sorted(unexpected):
        problems.add(f"{path}.{key}", f"not allowed with {kind.key!r}")
    kind.validate(node, path, ctx, problems, depth)


def holds(node: dict[str, Any], state: LearnerState, held: frozenset[str]) -> bool:
    """Whether a valid criterion holds for this learner, who holds the ``held`` awards."""
    kind = kind_of(node)
    return kind is not None and kind.evaluate(node, state, held)
