"""xAPI statements in the terms of this service: who, about what, and which progress event.

Pure rules (DESIGN.md section 5, "xAPI"): an actor's identifier becomes a lookup
key for a learner, an activity IRI names a catalog entry, and the verb, the
entry's kind and the result decide the event. The shape of a statement is
checked before any of this, by the JSON Schema in ``app.services.xapi``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

VERBS = "http://adlnet.gov/expapi/verbs/"
COMPLETING_VERBS = frozenset(VERBS + verb for verb in ("completed", "passed", "mastered"))
VOIDED = VERBS + "voided"
ACTIVITY_KINDS = ("course", "unit", "module", "assessment")
# What a client may leave out or the store adds: not part of "the same statement".
NOT_COMPARED = ("id", "stored", "authority", "version")


class StatementError(ValueError):
    """A statement this service cannot take; ``field`` is its JSON path (``$.result.score``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Activity:
    """A catalog entry a statement is about; ``max_score`` for assessments only."""

    kind: str
    key: str
    max_score: float | None = None


@dataclass(frozen=True)
class EventDue:
    """The progress event a statement becomes (the fields of a ProgressInput)."""

    kind: str
    module: str | None = None
    assessment: str | None = None
    score: float | None = None


def actor_key(actor: dict[str, Any], public_url: str) -> str | None:
    """The key a learner is found by, or None when the actor can never be one of ours
    (a Group, an openid, an account on another system). Emails compare case-insensitively."""
    if actor.get("objectType") == "Group":
        return None
    if "mbox" in actor:
        return "mbox:" + actor["mbox"].removeprefix("mailto:").strip().lower()
    if "mbox_sha1sum" in actor:
        return "sha1:" + actor["mbox_sha1sum"].lower()
    account = actor.get("account") or {}
    name = str(account.get("name", ""))
    if account.get("homePage", "").rstrip("/") == public_url.rstrip("/") and name.isdigit():
        return f"account:{int(name)}"
    return None


def learner_keys(user_id: int, email: str, sha1: str | None) -> list[str]:
    """Every key an actor naming this learner may carry (see :func:`actor_key`)."""
    keys = [f"mbox:{email.lower()}", f"account:{user_id}"]
    return [*keys, f"sha1:{sha1.lower()}"] if sha1 else keys


def activity_iri(statement: dict[str, Any]) -> str | None:
    """The IRI of the statement's object when it is an Activity (the default kind)."""
    target = statement["object"]
    if target.get("objectType", "Activity") != "Activity":
        return None
    return str(target["id"])


def default_iri(public_url: str, kind: str, key: str) -> str:
    return f"{public_url.rstrip('/')}/xapi/activities/{kind}/{key}"


def parse_default_iri(public_url: str, iri: str) -> tuple[str, str] | None:
    """``(kind, key)`` of one of our default IRIs, else None."""
    prefix = f"{public_url.rstrip('/')}/xapi/activities/"
    if not iri.startswith(prefix):
        return None
    kind, _, key = iri.removeprefix(prefix).partition("/")
    return (kind, key) if kind in ACTIVITY_KINDS and key else None


def event_due(statement: dict[str, Any], activity: Activity | None) -> EventDue | None:
    """The event a statement from a known learner becomes; None for a voiding statement.

    ``activity`` is the catalog entry of its object (None: the object is no Activity).
    """
    verb = statement["verb"]["id"]
    if verb == VOIDED:
        return None
    if activity is not None and activity.kind == "module" and verb in COMPLETING_VERBS:
        return EventDue("module_completed", module=activity.key)
    score = statement.get("result", {}).get("score")
    if activity is not None and activity.kind == "assessment" and score is not None:
        value = assessment_score(score, activity.max_score or 0.0)
        if value is not None:
            return EventDue("assessment_scored", assessment=activity.key, score=value)
    return EventDue("activity")


def assessment_score(score: dict[str, Any], max_score: float) -> float | None:
    """``raw`` when given, else ``scaled`` x ``max_score``; None when it has neither.

    Out of ``0..max_score`` is an error: the service stores nothing it cannot record.
    """
    if "raw" in score:
        _raw_within_bounds(score)
        value, field = float(score["raw"]), "$.result.score.raw"
    elif "scaled" in score:
        value, field = float(score["scaled"]) * max_score, "$.result.score.scaled"
    else:
        return None
    if not 0 <= value <= max_score:
        raise StatementError(field, f"gives {value:g}, outside 0..{max_score:g} "
                                    "of the assessment")
    return value


def _raw_within_bounds(score: dict[str, Any]) -> None:
    low, high, raw = score.get("min"), score.get("max"), score["raw"]
    if low is not None and high is not None and low >= high:
        raise StatementError("$.result.score.min", "must be less than max")
    if (low is not None and raw < low) or (high is not None and raw > high):
        raise StatementError("$.result.score.raw", "must lie between min and max")


def occurred_at(statement: dict[str, Any]) -> datetime | None:
    """The statement's ``timestamp`` in UTC (one without an offset is UTC, as the spec says)."""
    text = statement.get("timestamp")
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise StatementError("$.timestamp", "is not an ISO 8601 date and time") from exc
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def fingerprint(statement: dict[str, Any]) -> str:
    """Hash of what makes two statements with one id "the same statement"."""
    compared = {k: v for k, v in statement.items() if k not in NOT_COMPARED}
    text = json.dumps(compared, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
