"""The one place domain errors become gRPC status codes.

A caller's mistake always gets a code that says so; only a bug in the
service ends up as INTERNAL (logged), and nothing ever reaches the client as
UNKNOWN.
"""

from __future__ import annotations

import json
import logging

import grpc

from app.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from app.infra.sql import DATABASE_UNAVAILABLE

log = logging.getLogger(__name__)

DOMAIN_CODES: dict[type[DomainError], grpc.StatusCode] = {
    InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    NotFound: grpc.StatusCode.NOT_FOUND,
    # A request_id (idempotency key) reused with another body: the event it names exists.
    Conflict: grpc.StatusCode.ALREADY_EXISTS,
    Forbidden: grpc.StatusCode.PERMISSION_DENIED,
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
}

# The domain names fields as REST does; gRPC callers know them by their proto names.
PROTO_FIELDS = {
    "idempotency_key": "request_id", "cursor": "page_token", "limit": "page_size",
    "since": "earned_after", "until": "earned_before", "type": "types",
}
FIELD_ERRORS_KEY = "x-field-errors"


def code_for(exc: DomainError) -> grpc.StatusCode:
    for kind in type(exc).__mro__:
        if kind in DOMAIN_CODES:
            return DOMAIN_CODES[kind]
    return grpc.StatusCode.FAILED_PRECONDITION


def abort_with(context: grpc.ServicerContext, exc: DomainError) -> None:
    """End the call with the status for ``exc``; field errors go in trailing metadata."""
    if exc.fields:
        fields = {PROTO_FIELDS.get(name, name): errors for name, errors in exc.fields.items()}
        context.set_trailing_metadata(((FIELD_ERRORS_KEY, json.dumps(fields)),))
    context.abort(code_for(exc), exc.detail)


def abort_internal(context: grpc.ServicerContext, exc: Exception) -> None:
    """A fault on our side: UNAVAILABLE when the database is unreachable (retrying helps),
    otherwise INTERNAL. Either way logged, and never UNKNOWN."""
    if isinstance(exc, DATABASE_UNAVAILABLE):
        log.warning("database unavailable during a gRPC call: %s", exc)
        context.abort(grpc.StatusCode.UNAVAILABLE, "the database is unavailable; retry later")
    log.error("unhandled error in gRPC call", exc_info=exc)
    context.abort(grpc.StatusCode.INTERNAL, "internal error")
