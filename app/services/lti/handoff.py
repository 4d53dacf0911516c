"""A launch handed from the LMS's frame to a window of its own, for browsers that keep
no cookies in the frame: a signed link, valid ``HANDOFF_SECONDS`` and used once (its id
consumed in the nonce store), that signs the launched person in where the session
cookie is first-party. It is only ever shown inside the frame it was made for."""

from __future__ import annotations

import secrets

from flask import current_app, url_for
from itsdangerous import BadData, URLSafeTimedSerializer

from app.services.lti import nonces

HANDOFF_SECONDS = 120


def link(user_id: int, target: str) -> str:
    """The ``/lti/open/<token>`` URL that signs ``user_id`` in and goes to ``target``."""
    token = _serializer().dumps({"u": user_id, "t": target, "j": secrets.token_urlsafe(16)})
    return url_for("lti.open_in_window", token=token)


def take(token: str) -> tuple[int, str] | None:
    """(user id, target) the first time a fresh token is presented; None otherwise."""
    try:
        data = _serializer().loads(token, max_age=HANDOFF_SECONDS)
        user_id, target, jti = int(data["u"]), str(data["t"]), str(data["j"])
    except (BadData, KeyError, TypeError, ValueError):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    try:
        fresh = nonces.consume("handoff:" + jti, HANDOFF_SECONDS)
    except nonces.NonceStoreDown:
        return None
    return (user_id, target) if fresh else None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lti-handoff")
