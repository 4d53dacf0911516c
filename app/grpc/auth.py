"""Bearer tokens from call metadata, verified through ``app.services.accounts`` and briefly cached.

Internal callers send thousands of calls a second with the same token; a
database lookup per call would cost more than the call's own work. Verified
tokens are remembered for ``GRPC_TOKEN_CACHE_SECONDS`` by the
:func:`~app.services.accounts.tokens.token_cache` REST uses too (a revoked token stops
working within that time); unknown tokens are never cached, so every
failure is checked against the database.
"""

from __future__ import annotations

from typing import Any

from app.errors import Forbidden, Unauthenticated
from app.services.accounts import Principal
from app.services.accounts.tokens import token_cache

__all__ = ["authorize", "bearer_token", "token_cache"]


def bearer_token(metadata: Any) -> str:
    for key, value in metadata or ():
        scheme, _, token = value.partition(" ") if isinstance(value, str) else ("", "", "")
        if key == "authorization" and scheme.lower() == "bearer" and token.strip():
            return token.strip()
    raise Unauthenticated("send a service token as 'authorization: Bearer <token>' metadata")


def authorize(principal: Principal, scope: str) -> Principal:
    if not principal.has_scope(scope):
        raise Forbidden(f"the {scope} scope is required")
    return principal
