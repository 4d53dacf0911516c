"""OAuth 2 access tokens for LTI Advantage services (1EdTech Security Framework §4.1):
the client-credentials grant with a JWT client assertion signed by the tool's key.

Tokens are cached per (platform, scopes) in this process until shortly before they
expire, so a roster sync of many pages or a burst of grade posts asks the platform once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence

from app.models import LtiPlatform
from app.services.lti.calls import PlatformError, call, json_object
from app.services.lti.keys import sign_jwt

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
EARLY_SECONDS = 60  # renew this long before expiry: a token must outlive the calls it serves

_cache: dict[tuple[int, str, str], tuple[str, float]] = {}
_lock = threading.Lock()


def access_token(platform: LtiPlatform, scopes: Sequence[str]) -> str:
    """A bearer token for ``scopes`` at this platform, cached until shortly before expiry."""
    scope = " ".join(sorted(set(scopes)))
    key = (platform.id, platform.client_id, scope)
    with _lock:
        cached = _cache.get(key)
    if cached is not None and cached[1] > time.monotonic():
        return cached[0]
    token, lifetime = _request_token(platform, scope)
    with _lock:
        _cache[key] = (token, time.monotonic() + max(lifetime - EARLY_SECONDS, 0))
    return token


def forget(platform: LtiPlatform) -> None:
    """Drop this platform's cached tokens (after a 401: revoked, or keys changed)."""
    with _lock:
        for key in [k for k in _cache if k[0] == platform.id]:
            del _cache[key]


def client_assertion(platform: LtiPlatform) -> str:
    """The JWT proving we are the platform's client: ``iss`` = ``sub`` = our client id,
    ``aud`` = its token endpoint (or the audience it registered), short-lived, unique."""
    audience = platform.auth_audience or platform.auth_token_url
    return sign_jwt({"iss": platform.client_id, "sub": platform.client_id, "aud": audience,
                     "jti": uuid.uuid4().hex}, lifetime_seconds=300)


def _request_token(platform: LtiPlatform, scope: str) -> tuple[str, int]:
    form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(platform), "scope": scope}
    body = json_object(call("POST", platform.auth_token_url, data=form))
    if not isinstance(body.get("access_token"), str):
        raise PlatformError(f"token endpoint {platform.auth_token_url}: no access_token")
    try:
        lifetime = int(body.get("expires_in", 3600))
    except (TypeError, ValueError):
        lifetime = 3600
    return body["access_token"], lifetime
