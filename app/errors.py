"""Domain errors. Transports translate them: problem+json over HTTP, status codes over gRPC.

Pure Python (the domain raises them too); database outages are ``app.infra.sql``'s.
"""

from __future__ import annotations


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
