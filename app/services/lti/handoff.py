"""A launch handed from the LMS's frame to a window of its own, for browsers that keep
no cookies in the frame: a signed link, valid ``HANDOFF_SECONDS`` and used once (its id
consumed in the nonce store), that signs the launched person in where the session
cookie is first-party. It is only ever shown inside the frame it was made for."""

from __future__ import annotations

import secrets
from typing import NamedTuple

from flask import current_app, url_for
from itsdangerous import BadData, URLSafeTimedSerializer

from app.services.lti import nonces

HANDOFF_SECONDS = 120


class Handoff(NamedTuple):
    user_id: int
    target: str  # a path of ours
    context_id: int | None  # the LMS context an instructor launched into, if any


def link(user_id: int, target: str, context_id: int | None = None) -> str:
    """The ``/lti/open/<token>`` URL that signs ``user_id`` in and goes to ``target``."""
    token = _serializer().dumps({"u": user_id, "t": target, "c": context_id,
                                 "j": secrets.token_urlsafe(16)})
    return url_for("lti.open_in_window", token=token)


def take(token: str) -> Handoff | None:
    """What the link carries, the first time a fresh token is presented; None otherwise."""
    try:
        data = _serializer().loads(token, max_age=HANDOFF_SECONDS)
        found = Handoff(int(data["u"]), str(data["t"]),
                        None if data.get("c") is None else int(data["c"]))
        jti = str(data["j"])
    except (BadData, KeyError, TypeError, ValueError):
        return None
    if not found.target.startswith("/") or found.target.startswith("//"):
        return None
    try:
        fresh = nonces.consume("handoff:" + jti, HANDOFF_SECONDS)
    except nonces.NonceStoreDown:
        return None
    return found if fresh else None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lti-handoff")
