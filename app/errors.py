"""Domain errors. Transports translate them: problem+json over HTTP, status codes over gRPC."""

from __future__ import annotations

from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, DisconnectionError,
                                                     PoolTimeout)
"""The database could not be reached or dropped the connection (a restart, a failover,
an exhausted pool): not a bug, and the same call may succeed a moment later. REST
answers 503 with ``Retry-After``, gRPC UNAVAILABLE."""


class DomainError(Exception):
    """Base class; ``code`` names the kind of failure independent of transport."""

    code = "error"

    def __init__(self, detail: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = fields or {}


class InvalidInput(DomainError):
    code = "invalid"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"
