"""RFC 9457 problem+json for every HTTP error, domain errors included."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from app.extensions import db
from app.infra.sql import DATABASE_UNAVAILABLE
from app.services.accounts.throttle import TooManyAttempts

log = logging.getLogger(__name__)
PROBLEM_TYPE = "https://achievements.example/problems/"
DOMAIN_STATUS: dict[type[DomainError], int] = {
    InvalidInput: 422, NotFound: 404, Conflict: 409, Unauthenticated: 401, Forbidden: 403,
    TooManyAttempts: 429,
}
RETRY_AFTER_SECONDS = 1


def problem(status: int, detail: str, *, title: str | None = None,
            errors: dict[str, Any] | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + _slug(status),
        "title": title or _title(status),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="achievements"'
    return response


def register_problem_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    for kind in DATABASE_UNAVAILABLE:
        app.register_error_handler(kind, _database_unavailable)
    app.register_error_handler(Exception, _unexpected)


def _domain_error(exc: DomainError) -> Response:
    status = DOMAIN_STATUS.get(type(exc), 400)
    response = problem(status, exc.detail, errors=exc.fields or None)
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _csrf_error(exc: CSRFError) -> Response:
    return problem(400, exc.description or "CSRF token missing or invalid", title="CSRF failure")


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    errors = data.get("messages") if isinstance(data, dict) else None
    detail = exc.description or _title(status)
    response = problem(status, detail, errors=_flatten(errors) if errors else None)
    if status == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    return response


def _database_unavailable(exc: Exception) -> Response:
    """Nothing was stored (the transaction died with the connection): the client retries.

    The session is rolled back here, not only at teardown: a context that outlives
    the request (a CLI command, a test) must not carry the dead transaction on. The
    fault may have come from another pool (the read pool) while the session's own
    connection died too: then the rollback fails as well, and the session is dropped."""
    try:
        db.session.rollback()
    except DATABASE_UNAVAILABLE:
        db.session().invalidate()
    log.warning("database unavailable during %s %s: %s", request.method, request.path, exc)
    response = problem(503, "the database is unavailable; retry shortly")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return problem(500, InternalServerError.description)


def _flatten(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs nests field errors by location (json, query, headers); callers want fields."""
    flat: dict[str, Any] = {}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            flat.update(location_errors)
    return flat or messages


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _slug(status: int) -> str:
    return _title(status).lower().replace(" ", "-")
