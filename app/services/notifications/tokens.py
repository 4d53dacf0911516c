"""The unsubscribe token: signed, non-expiring, one salt for this purpose alone.

A token names one learner and one category; it turns off that category's email and
nothing else, so a forwarded email can cost its reader at most that switch. One
serializer per purpose (warehouse's TokenServiceFactory): a token made here is
worthless to any other signed value of the app, and theirs here.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.services.notifications.preferences import CATEGORIES

SALT = "achievements.notifications.unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def unsubscribe_token(user_id: int, category: str) -> str:
    return _serializer().dumps([user_id, category])


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(learner id, category), or None for anything not made by :func:`unsubscribe_token`."""
    try:
        user_id, category = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or category not in CATEGORIES:
        return None
    return user_id, category
