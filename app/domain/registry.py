"""The rule registry: achievement types keyed by stable strings.

Adding a rule is one function decorated with :func:`rule`. Thresholds are
defaults here and can be tuned by configuration (``ACHIEVEMENTS_RULES`` JSON,
e.g. ``{"streak": {"thresholds": [3, 7]}}``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from app.domain.state import LearnerState
from app.domain.wording import english_words


@dataclass(frozen=True)
class AwardDue:
    """An award a rule says the learner has earned.

    ``title`` and ``description`` are given for an authored badge (its words are content);
    a built-in award leaves them out and :attr:`words` fills its type's English words from
    its metadata on first use: detection evaluates every award a learner holds again and
    stores only the new ones, so words made for the others would be work thrown away.
    """

    type: str
    dedupe_key: str
    title: str | None = None
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def words(self) -> tuple[str, str]:
        """The title and description the award is stored with."""
        if self.title is not None:
            return self.title, self.description or ""
        return english_words(self.type, self.metadata)


RuleFn = Callable[[LearnerState, dict[str, Any]], Iterable[AwardDue]]
StageFn = Callable[[LearnerState, dict[str, Any], frozenset[str]], Iterable[AwardDue]]


@dataclass(frozen=True)
class RuleSpec:
    key: str
    title: str
    description: str
    fn: Callable[..., Iterable[AwardDue]]
    defaults: dict[str, Any]
    after_rules: bool = False  # a stage: also given the dedupe keys the rules made due


RULES: dict[str, RuleSpec] = {}


def rule(key: str, title: str, description: str, **defaults: Any) -> Callable[[RuleFn], RuleFn]:
    """Register ``fn`` as the rule for achievement type ``key``."""

    def register(fn: RuleFn) -> RuleFn:
        RULES[key] = RuleSpec(key, title, description, fn, defaults)
        return fn

    return register


def stage(key: str, title: str, description: str,
          **defaults: Any) -> Callable[[StageFn], StageFn]:
    """Register ``fn`` as a stage for type ``key``: it runs after every rule and is given
    the dedupe keys they made due (badges whose criteria say "holds <award>")."""

    def register(fn: StageFn) -> StageFn:
        RULES[key] = RuleSpec(key, title, description, fn, defaults, after_rules=True)
        return fn

    return register


def settings_for(key: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """A rule's defaults with the operator's overrides applied."""
    return {**RULES[key].defaults, **((overrides or {}).get(key) or {})}


def evaluate(state: LearnerState, overrides: dict[str, Any] | None = None,
             only: Iterable[str] | None = None) -> list[AwardDue]:
    """Every award due under the registered rules (or only the named ones).

    A rule configured with ``{"enabled": false}`` awards nothing.
    """
    keys = list(only) if only is not None else list(RULES)
    enabled = [(RULES[key], cfg) for key in keys
               if (cfg := settings_for(key, overrides)).get("enabled", True)]
    awards = [award for spec, cfg in enabled if not spec.after_rules
              for award in spec.fn(state, cfg)]
    for spec, cfg in enabled:
        if spec.after_rules:
            awards.extend(spec.fn(state, cfg, frozenset(a.dedupe_key for a in awards)))
    return awards


def check_rule_keys(keys: Iterable[str]) -> list[str]:
    """The given rule keys, or ValueError naming the unknown ones (CLI and config checks)."""
    keys = list(keys)
    unknown = [k for k in keys if k not in RULES]
    if unknown:
        raise ValueError(f"unknown rule(s) {', '.join(unknown)}; known: {', '.join(RULES)}")
    return keys
