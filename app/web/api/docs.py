"""The problem+json schema and the error responses every operation documents.

Every error the API returns is ``application/problem+json`` (RFC 9457) made by
:mod:`app.web.problems`; the OpenAPI document says so per operation so clients
and fuzzers can hold the service to it.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

PROBLEM_JSON = "application/problem+json"
BEARER_OR_SESSION = [{"bearer": []}, {"session": []}]

WHY = {
    400: "Malformed request: invalid JSON, or a session write without its X-CSRFToken header",
    401: "No credentials, or an unknown or revoked token",
    403: "Authenticated, but not allowed (missing scope, or another learner's data)",
    404: "No such resource (another learner's achievement is not found either)",
    405: "Method not allowed on this path",
    409: "Idempotency key reused with a different body, or a state conflict",
    413: "Request body too large",
    415: "Request body is not application/json",
    422: "Input failed validation; `errors` names the fields",
    429: "Too many requests",
    500: "Unexpected server error",
    503: "A dependency is unreachable",
}
COMMON = (401, 405, 500, 503)


class Problem(Schema):
    """RFC 9457 problem details; ``errors`` maps field names to messages."""

    type = fields.String(required=True, metadata={"format": "uri"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.Raw())


def problem_responses(*codes: int, common: tuple[int, ...] = COMMON) -> dict[str, Any]:
    """OpenAPI responses for ``codes`` (plus the ones any operation can return)."""
    return {str(code): {"description": WHY[code],
                        "content": {PROBLEM_JSON: {"schema": Problem}}}
            for code in sorted({*codes, *common})}
