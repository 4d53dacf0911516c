"""POST /api/v1/progress-events — record progress for a learner."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from app.accounts import subject_for_write
from app.errors import InvalidInput
from app.progress import ProgressInput, record_progress
from app.progress.service import event_as_dict
from app.web.api.schemas import IdempotencyHeader, ProgressEventIn, ProgressEventOut
from app.web.api.security import current_principal

blp = Blueprint("progress", __name__, description="Record learner progress")


@blp.route("/progress-events", methods=["POST"])
@blp.arguments(IdempotencyHeader, location="headers", as_kwargs=True)
@blp.arguments(ProgressEventIn)
@blp.response(202, ProgressEventOut)
@blp.doc(security=[{"bearer": []}])
def post_progress_event(body: dict[str, Any], idempotency_key: str | None = None) -> Any:
    """Record a progress event; replaying the same key and body returns the first answer."""
    principal = current_principal()
    user_id = subject_for_write(principal, body["user_id"])
    key = idempotency_key or body.get("idempotency_key")
    if body.get("idempotency_key") and idempotency_key and body["idempotency_key"] != key:
        raise InvalidInput("Idempotency-Key header and body key differ",
                           fields={"idempotency_key": ["differs from header"]})
    if not key:
        raise InvalidInput("an Idempotency-Key header or idempotency_key is required",
                           fields={"idempotency_key": ["required"]})
    result = record_progress(ProgressInput(
        user_id=user_id, kind=body["kind"], occurred_at=body.get("occurred_at"),
        idempotency_key=key, module=body.get("module"), assessment=body.get("assessment"),
        score=body.get("score"), source=principal.caller_key,
    ))
    return event_as_dict(result.event)
