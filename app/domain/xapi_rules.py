"""The statement rules a JSON Schema cannot state, and the normal form an LRS answers with.

The schema (``app/services/xapi/statement.schema.json``) holds every rule about one
value's shape; what is left here compares two values of one statement (a raw score
against its min and max) or rewrites a statement into the form xAPI 1.0.3 says an LRS
returns (context activities always arrays, an ``authority``, a ``version``).
"""

from __future__ import annotations

import copy
from typing import Any

from app.domain.xapi import StatementError

CONTEXT_ACTIVITY_KINDS = ("parent", "grouping", "category", "other")
DEFAULT_VERSION = "1.0.0"  # what xAPI 1.0.3 (Data 2.4.10) says to set when a statement has none


def check_rules(statement: dict[str, Any]) -> None:
    """Raise StatementError naming the field (``$.object.result.score.raw``) that breaks a rule."""
    _check_score(statement.get("result"), "$.result.score")
    target = statement["object"]
    if target.get("objectType") == "SubStatement":
        _check_score(target.get("result"), "$.object.result.score")


def _check_score(result: dict[str, Any] | None, at: str) -> None:
    score = (result or {}).get("score") or {}
    low, high, raw = score.get("min"), score.get("max"), score.get("raw")
    if low is not None and high is not None and low >= high:
        raise StatementError(f"{at}.min", f"is {low:g}, not less than max ({high:g})")
    if raw is not None and low is not None and raw < low:
        raise StatementError(f"{at}.raw", f"is {raw:g}, below min ({low:g})")
    if raw is not None and high is not None and raw > high:
        raise StatementError(f"{at}.raw", f"is {raw:g}, above max ({high:g})")


def normalized(statement: dict[str, Any], authority: dict[str, Any]) -> dict[str, Any]:
    """The statement as it is stored and returned: single context activities become
    arrays (here and in a SubStatement), ``authority`` is the caller's when absent, and
    ``version`` is 1.0.0 when absent. The input is left untouched."""
    result = copy.deepcopy(statement)
    _arrays(result)
    if result["object"].get("objectType") == "SubStatement":
        _arrays(result["object"])
    result.setdefault("authority", authority)
    result.setdefault("version", DEFAULT_VERSION)
    return result


def _arrays(statement: dict[str, Any]) -> None:
    activities = (statement.get("context") or {}).get("contextActivities") or {}
    for kind in CONTEXT_ACTIVITY_KINDS:
        if isinstance(activities.get(kind), dict):
            activities[kind] = [activities[kind]]


def attachments_of(statement: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``(JSON path, attachment)`` of every attachment, a SubStatement's included."""
    found = [(f"$.attachments[{i}]", item)
             for i, item in enumerate(statement.get("attachments") or [])]
    target = statement["object"]
    if target.get("objectType") == "SubStatement":
        found += [(f"$.object.attachments[{i}]", item)
                  for i, item in enumerate(target.get("attachments") or [])]
    return found
