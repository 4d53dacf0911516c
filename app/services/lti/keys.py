"""The tool's own keys: they sign what the tool sends a platform (deep-linking responses,
OAuth 2 client assertions for Names and Roles and grades) and are published at
``/lti/jwks.json``, where platforms fetch them.

A ring of their own (``lti_keys``), rotated like the Open Badges keys
(app.infra.signing.KeyRing): a new key signs from the rotation on, old ones stay
listed, so a platform holding a cached JWKS still verifies. ``kid`` is the key's
RFC 7638 thumbprint, as platforms expect a plain id rather than a URL.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from joserfc import jwt

from app.infra.signing import KeyRing
from app.models import LtiKey

ALGORITHM = "RS256"  # the one LTI 1.3 requires every platform and tool to support
RING = KeyRing("LTI", LtiKey, "LTI_KEY_FILE", lambda kid: kid)


def sign_jwt(claims: dict[str, Any], lifetime_seconds: int = 300) -> str:
    """A JWT of ``claims`` signed with the active key; ``iat``, ``exp`` and ``jti`` are
    added unless given (each message is then unique and short-lived)."""
    key = RING.active_key()
    now = int(time.time())
    payload = {"iat": now, "exp": now + lifetime_seconds, "jti": uuid.uuid4().hex, **claims}
    return jwt.encode({"alg": ALGORITHM, "typ": "JWT", "kid": key.kid}, payload, key.key)


def public_jwks() -> dict[str, Any]:
    """Every key's public half, newest first (``/lti/jwks.json``)."""
    return RING.public_jwks()


def rotate_key() -> str:
    """A new key signs from now on (other processes within a minute); its kid."""
    return RING.rotate_key()
