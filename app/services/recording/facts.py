"""Validate a progress input, and word what the catalog refused.

Every rule of a well-formed event lives here, so REST, gRPC and the pages reject the
same inputs with the same field errors. The rules that need the catalog (the module or
assessment exists, the score is within the assessment's range) are checked by the
statement that stores the event (``app.infra.event_rows``: no look-up before it), which
stores nothing then and names its ``fault``; :func:`refused` words it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.domain.progress import ProgressInput
from app.errors import InvalidInput, NotFound
from app.models.progress import EVENT_KINDS
from app.models.types import utcnow

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_KEY_LENGTH = 200
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class CheckedInput:
    """An event that passed every rule but the catalog's: its fact's keys, for the statement
    that stores it to find (``score`` None when missing, negative or not finite)."""

    occurred_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    module: str | None = None
    assessment: str | None = None
    score: float | None = None


def check(data: ProgressInput) -> CheckedInput:
    _check_common(data)
    occurred_at = data.occurred_at or utcnow()
    if data.kind == "module_completed":
        if not data.module:
            raise InvalidInput("module is required", fields={"module": ["required"]})
        return CheckedInput(occurred_at, {"module": data.module}, module=data.module)
    if data.kind == "assessment_scored":
        if not data.assessment:
            raise InvalidInput("assessment is required", fields={"assessment": ["required"]})
        score = _score(data.score)
        payload = {"assessment": data.assessment, "score": score}
        return CheckedInput(occurred_at, payload, assessment=data.assessment, score=score)
    return CheckedInput(occurred_at)


def refused(fault: str, data: ProgressInput, max_score: float | None) -> InvalidInput:
    """The error for what the catalog refused: the recording statement's ``fault``."""
    if fault == "module":
        return InvalidInput(f"unknown module {data.module!r}",
                            fields={"module": ["unknown module"]})
    if fault == "assessment":
        return InvalidInput(f"unknown assessment {data.assessment!r}",
                            fields={"assessment": ["unknown assessment"]})
    return InvalidInput(f"score must be between 0 and {max_score:g}",
                        fields={"score": [f"must be between 0 and {max_score:g}"]})


def _score(score: float | None) -> float | None:
    """The score as stored; None (refused with the assessment's range) when it cannot be."""
    if score is None or not math.isfinite(score) or score < 0:
        return None
    return float(score)


def _check_common(data: ProgressInput) -> None:
    errors: dict[str, list[str]] = {}
    if data.kind not in EVENT_KINDS:
        errors["kind"] = [f"must be one of {', '.join(EVENT_KINDS)}"]
    if not data.idempotency_key or len(data.idempotency_key) > MAX_KEY_LENGTH:
        errors["idempotency_key"] = [f"required, at most {MAX_KEY_LENGTH} characters"]
    if data.occurred_at is not None:
        errors.update(time_errors(data.occurred_at))
    if errors:
        raise InvalidInput("the progress event is invalid", fields=errors)


def check_user_id(user_id: int) -> None:
    """Ids are 32-bit in the schema; a larger one (gRPC's int64) must not reach PostgreSQL."""
    if not 0 < user_id <= MAX_ID:
        raise unknown_user(user_id)


def unknown_user(user_id: int) -> NotFound:
    """The error for a learner id that names nobody (out of range, or not stored)."""
    return NotFound(f"no user {user_id}", fields={"user_id": ["unknown user"]})


def time_errors(occurred_at: datetime) -> dict[str, list[str]]:
    """Why ``occurred_at`` cannot be recorded (by field), or nothing; xAPI checks a
    statement's timestamp with it before storing the statement."""
    if occurred_at.tzinfo is None:
        return {"occurred_at": ["must carry a UTC offset"]}
    if occurred_at < EARLIEST:
        return {"occurred_at": ["is before 2000-01-01"]}
    if occurred_at > utcnow() + FUTURE_TOLERANCE:
        return {"occurred_at": ["is in the future"]}
    return {}
