"""The ``format`` of returned statements (xAPI 1.0.3, Communication 2.1.3): ``exact`` as
stored, ``ids`` with agents, groups, activities and verbs reduced to what identifies
them, ``canonical`` with each language map cut to the one language the reader prefers
(``Accept-Language``; the first listed when none matches).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

FORMATS = ("exact", "ids", "canonical")
LANGUAGE_MAPS = frozenset({"display", "name", "description"})
AGENT_KEYS = ("objectType", "mbox", "mbox_sha1sum", "openid", "account")
AGENT_PLACES = ("actor", "authority", "instructor", "team")


def formatted(statement: dict[str, Any], form: str, languages: Sequence[str]) -> dict[str, Any]:
    if form == "ids":
        return _ids(statement)
    if form == "canonical":
        return _canonical(statement, languages)
    return statement


def _ids(value: Any, place: str = "") -> Any:
    if isinstance(value, list):
        return [_ids(item, place) for item in value]
    if not isinstance(value, dict):
        return value
    if place in AGENT_PLACES or (place == "object" and
                                 value.get("objectType") in ("Agent", "Group")):
        return _agent_ids(value)
    if place == "verb":
        return {"id": value["id"]}
    if place in ("object", "parent", "grouping", "category", "other") and \
            value.get("objectType", "Activity") == "Activity" and "id" in value:
        return {"id": value["id"]}
    return {name: _ids(item, name) for name, item in value.items()}


def _agent_ids(agent: dict[str, Any]) -> dict[str, Any]:
    reduced = {name: agent[name] for name in AGENT_KEYS if name in agent}
    if "member" in agent and not any(name in agent for name in AGENT_KEYS[1:]):
        reduced["member"] = [_agent_ids(member) for member in agent["member"]]
    return reduced


def _canonical(value: Any, languages: Sequence[str], name: str = "") -> Any:
    if isinstance(value, list):
        return [_canonical(item, languages) for item in value]
    if not isinstance(value, dict):
        return value
    if name in LANGUAGE_MAPS and value and all(isinstance(text, str) for text in value.values()):
        chosen = _language(list(value), languages)
        return {chosen: value[chosen]}
    return {key: _canonical(item, languages, key) for key, item in value.items()}


def _language(available: list[str], preferred: Sequence[str]) -> str:
    lowered = {tag.lower(): tag for tag in available}
    for tag in preferred:
        tag = tag.lower()
        if tag in lowered:
            return lowered[tag]
        for have, original in lowered.items():
            if have.split("-")[0] == tag.split("-")[0]:
                return original
    return available[0]
