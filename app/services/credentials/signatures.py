"""VC-JWT signing with the service's key, once per payload (``signed_credentials``)."""

from __future__ import annotations

from app.extensions import db
from app.infra.caches.signed_credentials import signed_credentials
from app.infra.signing import active_key, sign_compact

HEADER = {"alg": "RS256", "typ": "JWT"}


def signed_jwt(payload: bytes) -> str:
    """The compact JWS of these exact payload bytes: signed on the first request for
    this content and key, kept from then on."""
    key = active_key()
    return signed_credentials.get(str(db.engine.url), key.kid, payload,
                                  lambda data: sign_compact(HEADER, data, key))
