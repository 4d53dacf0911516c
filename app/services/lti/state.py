"""The OIDC ``state`` and ``nonce`` of a launch, made at login initiation.

The state is signed by the tool (itsdangerous, a salt of its own) and carries the
platform it was made for, the nonce and, when the platform offers one, its
client-side storage target: the launch needs no server-side row to check it, and a
state the tool did not make, or one older than ``STATE_SECONDS``, is refused.

Signed is not enough: a state must come back *in the browser it was given to*
(otherwise an attacker starts a login in their browser and has a victim's browser
post the launch). That binding is a cookie named after the state, set by the login
response; where the browser blocks cookies in the LMS's frame, the platform's
client-side storage (``lti.put_data``/``lti.get_data`` postMessages) holds the state
instead, and the launch page reads it back from there.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

STATE_SECONDS = 600  # login initiation -> launch: the platform's sign-in page may be shown
COOKIE_PREFIX = "lti-state-"


@dataclass(frozen=True)
class LaunchState:
    """What the tool wrote into a state at login initiation."""

    platform_id: int
    nonce: str
    storage_target: str | None = None


def issue(platform_id: int, storage_target: str | None) -> tuple[str, LaunchState]:
    """A fresh state and what it carries (a new random nonce)."""
    made = LaunchState(platform_id, secrets.token_urlsafe(32), storage_target)
    token = _serializer().dumps({"p": made.platform_id, "n": made.nonce,
                                 "t": made.storage_target})
    return str(token), made


def read(state: str) -> LaunchState | None:
    """The state's content, or None when the tool did not sign it or it is too old."""
    try:
        data = _serializer().loads(state, max_age=STATE_SECONDS)
        return LaunchState(int(data["p"]), str(data["n"]), data.get("t") or None)
    except (BadData, KeyError, TypeError, ValueError):
        return None


def cookie_name(state: str) -> str:
    """One cookie per state: several launches at once (two tools on one LMS page, two
    tabs) each keep their own."""
    return COOKIE_PREFIX + hashlib.sha256(state.encode()).hexdigest()[:24]


def cookie_value(state: str) -> str:
    return hashlib.sha256(b"lti-state-cookie:" + state.encode()).hexdigest()


def cookie_matches(state: str, cookies: dict[str, str]) -> bool:
    """True when this browser holds the cookie the login response set for ``state``."""
    found = cookies.get(cookie_name(state))
    return found is not None and hmac.compare_digest(found, cookie_value(state))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lti-launch-state")
