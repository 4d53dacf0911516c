"""The keys a statement is found by in statement queries (xAPI 1.0.3, Communication 2.1.3).

``agent`` matches the actor or an Agent/Group object; ``related_agents`` widens it to
the authority, instructor, team, group members and a SubStatement's agents. ``activity``
matches an Activity object; ``related_activities`` widens it to context activities and
a SubStatement's. Keys are hashed so one index serves IRIs of any length; a statement
stores a related key (``agent~``) only for what no direct key (``agent``) covers, and a
related query looks for both.
"""

from __future__ import annotations

import hashlib
from typing import Any

CONTEXT_KINDS = ("parent", "grouping", "category", "other")


def key(kind: str, value: str) -> str:
    """The stored form of one key: ``sha256("<kind>:<value>")`` in hex."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def agent_ifi(agent: dict[str, Any]) -> str | None:
    """An Agent's or identified Group's inverse functional identifier as one string."""
    for name in ("mbox", "mbox_sha1sum", "openid"):
        if name in agent:
            return f"{name}={agent[name]}"
    account = agent.get("account")
    if isinstance(account, dict):
        return f"account={account.get('homePage')}|{account.get('name')}"
    return None


def statement_keys(statement: dict[str, Any]) -> set[str]:
    """Every key of a (normalized) statement, hashed."""
    found = {("verb", statement["verb"]["id"])}
    registration = (statement.get("context") or {}).get("registration")
    if registration:
        found.add(("registration", str(registration).lower()))
    found |= {("agent", ifi) for ifi in _ifis(statement["actor"])}
    target = statement["object"]
    kind = target.get("objectType", "Activity")
    if kind in ("Agent", "Group"):
        found |= {("agent", ifi) for ifi in _ifis(target)}
    if kind == "Activity":
        found.add(("activity", target["id"]))
    # A related key only where the direct one is missing: a related query asks for both.
    related = {("agent~", ifi) for ifi in _related_agents(statement)
               if ("agent", ifi) not in found}
    related |= {("activity~", iri) for iri in _related_activities(statement)
                if ("activity", iri) not in found}
    return {key(kind, value) for kind, value in found | related}


def _ifis(agent: dict[str, Any] | None, members: bool = False) -> list[str]:
    if not isinstance(agent, dict):
        return []
    own = agent_ifi(agent)
    found = [own] if own else []
    if members or own is None:
        found += [ifi for member in agent.get("member") or [] if (ifi := agent_ifi(member))]
    return found


def _related_agents(statement: dict[str, Any]) -> list[str]:
    context = statement.get("context") or {}
    found = _ifis(statement["actor"], True) + _ifis(statement.get("authority"), True)
    found += _ifis(context.get("instructor"), True) + _ifis(context.get("team"), True)
    target = statement["object"]
    if target.get("objectType") in ("Agent", "Group"):
        found += _ifis(target, True)
    if target.get("objectType") == "SubStatement":
        found += _related_agents(target)
    return found


def _related_activities(statement: dict[str, Any]) -> list[str]:
    target = statement["object"]
    found = [target["id"]] if target.get("objectType", "Activity") == "Activity" else []
    activities = (statement.get("context") or {}).get("contextActivities") or {}
    for kind in CONTEXT_KINDS:
        listed = activities.get(kind) or []
        found += [item["id"] for item in (listed if isinstance(listed, list) else [listed])]
    if target.get("objectType") == "SubStatement":
        found += _related_activities(target)
    return found
