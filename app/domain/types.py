"""The achievement types the service awards, with their effective thresholds."""

from __future__ import annotations

from typing import Any

from app.domain import registry

# Per type: how its thresholds read from the rule settings, and their unit.
_LEVELS: dict[str, list[tuple[str, str]]] = {
    "streak": [("thresholds", "days")],
    "milestone": [("modules", "modules"), ("courses", "courses")],
}


def achievement_types(overrides: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every registered type: key, title, description, thresholds and badge stem.

    Each threshold is ``{"key", "value", "unit"}``: ``key`` is the dedupe key
    the level is awarded under (``streak:7``, ``milestone:modules:10``) or the
    type for ratio thresholds (``high_score``). Disabled types are left out.
    """
    types = []
    for key, spec in registry.RULES.items():
        cfg = registry.settings_for(key, overrides)
        if not cfg.get("enabled", True):
            continue
        types.append({"key": key, "title": spec.title, "description": spec.description,
                      "thresholds": _thresholds(key, cfg), "badge": key})
    return types


def _thresholds(key: str, cfg: dict[str, Any]) -> list[dict[str, Any]]:
    if "ratio" in cfg:
        return [{"key": key, "value": float(cfg["ratio"]), "unit": "ratio"}]
    levels = []
    for setting, unit in _LEVELS.get(key, []):
        prefix = f"{key}:{unit}" if key == "milestone" else key
        levels += [{"key": f"{prefix}:{n}", "value": n, "unit": unit}
                   for n in sorted(set(cfg.get(setting, [])))]
    return levels


def threshold_levels(key: str, overrides: dict[str, Any] | None = None) -> dict[str, list[int]]:
    """Sorted levels per unit for a leveled type, e.g. ``{"modules": [1, 10, ...]}``."""
    cfg = registry.settings_for(key, overrides)
    return {unit: sorted(set(cfg.get(setting, []))) for setting, unit in _LEVELS.get(key, [])}
