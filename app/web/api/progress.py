"""POST /api/v1/progress-events — record progress for a learner."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from app.errors import InvalidInput
from app.services.accounts import subject_for_write
from app.services.recording import ProgressInput, record_progress
from app.services.recording.service import event_as_dict
from app.web.api.docs import problem_responses
from app.web.api.schemas import IdempotencyHeader, ProgressEventIn, ProgressEventOut
from app.web.api.security import current_principal

blp = Blueprint("progress", __name__, description="Record learner progress")
# Instances: given a class, webargs builds a new schema (deep-copying its fields) per request.
EVENT_IN, IDEMPOTENCY_HEADER = ProgressEventIn(), IdempotencyHeader()


@blp.route("/progress-events", methods=["POST"])
@blp.arguments(IDEMPOTENCY_HEADER, location="headers", as_kwargs=True)
@blp.arguments(EVENT_IN)
@blp.response(202, ProgressEventOut)
@blp.doc(security=[{"bearer": []}, {"session": []}],
         responses=problem_responses(400, 403, 404, 409, 413, 415, 422))
def post_progress_event(body: dict[str, Any], idempotency_key: str | None = None) -> Any:
    """Record a progress event (needs ``progress:write``); detection runs after commit.

    The ``Idempotency-Key`` header (or ``idempotency_key`` in the body) is per
    caller: the same key and body answer with the first event again and store
    nothing; the same key with another body is 409.
    """
    principal = current_principal()
    user_id = subject_for_write(principal, body["user_id"])
    result = record_progress(ProgressInput(
        user_id=user_id, kind=body["kind"], occurred_at=body.get("occurred_at"),
        idempotency_key=_idempotency_key(body.get("idempotency_key"), idempotency_key),
        module=body.get("module"), assessment=body.get("assessment"),
        score=body.get("score"), source=principal.caller_key,
    ))
    return event_as_dict(result.event)


def _idempotency_key(in_body: str | None, in_header: str | None) -> str:
    if in_body and in_header and in_body != in_header:
        raise InvalidInput("Idempotency-Key header and body key differ",
                           fields={"idempotency_key": ["differs from the header"]})
    key = in_header or in_body
    if not key:
        raise InvalidInput("an Idempotency-Key header or idempotency_key is required",
                           fields={"idempotency_key": ["required"]})
    return key
