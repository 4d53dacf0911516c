"""Validate a progress input against the catalog and resolve keys to rows.

Every rule of a well-formed event lives here, so REST, gRPC and the pages
reject the same inputs with the same field errors, before anything is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, bindparam, select

from app.domain.progress import ProgressInput
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.infra.caches.module_ids import module_ids
from app.infra.sql import fetch_one, on_postgresql
from app.models import Assessment, Module
from app.models.progress import EVENT_KINDS
from app.models.types import utcnow

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_KEY_LENGTH = 200
MAX_ID = 2**31 - 1
# Built once (a hot path); on PostgreSQL their SQL runs on the read pool (see _first_column).
MODULE_ID = select(Module.id).where(Module.key == bindparam("key"))
MODULE_ID_SQL = "SELECT id FROM modules WHERE key = %s"


@dataclass(frozen=True)
class ResolvedInput:
    occurred_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    module_id: int | None = None
    assessment_id: int | None = None
    score: float | None = None


def resolve(data: ProgressInput) -> ResolvedInput:
    _check_common(data)
    occurred_at = data.occurred_at or utcnow()
    if data.kind == "module_completed":
        module_id = _module_id(data.module)
        return ResolvedInput(occurred_at, {"module": data.module}, module_id=module_id)
    if data.kind == "assessment_scored":
        assessment, score = _assessment_score(data.assessment, data.score)
        payload = {"assessment": assessment.key, "score": score}
        return ResolvedInput(occurred_at, payload, assessment_id=assessment.id, score=score)
    return ResolvedInput(occurred_at)


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


def _module_id(key: str | None) -> int:
    """The module's id (kept per app: modules are never deleted or re-keyed)."""
    if not key:
        raise InvalidInput("module is required", fields={"module": ["required"]})
    module_id = module_ids(current_app).get(
        key, lambda k: _first_column(MODULE_ID_SQL, MODULE_ID, {"key": k}))
    if module_id is None:
        raise InvalidInput(f"unknown module {key!r}", fields={"module": ["unknown module"]})
    return module_id


def _first_column(sql: str, statement: Select[Any], params: dict[str, Any]) -> Any:
    """The first column of ``statement``'s first row, or None.

    On PostgreSQL ``sql`` (the same query) runs as a prepared statement on the
    read pool, outside the statement that stores the event: modules are never
    deleted, so an answer read just before still holds (and the foreign key
    checks it again). An ORM statement cost ~0.5 ms of a POST's CPU.
    While PostgreSQL is down the read pool fails at once, as the session does (503).
    """
    if not on_postgresql():
        return db.session.scalar(statement, params)
    row = fetch_one(sql, tuple(params.values()))
    return None if row is None else row[0]


def _assessment_score(key: str | None, score: float | None) -> tuple[Assessment, float]:
    if not key:
        raise InvalidInput("assessment is required", fields={"assessment": ["required"]})
    assessment = db.session.scalar(select(Assessment).where(Assessment.key == key))
    if assessment is None:
        raise InvalidInput(f"unknown assessment {key!r}",
                           fields={"assessment": ["unknown assessment"]})
    if score is None or not 0 <= score <= assessment.max_score:
        raise InvalidInput(f"score must be between 0 and {assessment.max_score:g}",
                           fields={"score": [f"must be between 0 and {assessment.max_score:g}"]})
    return assessment, float(score)
