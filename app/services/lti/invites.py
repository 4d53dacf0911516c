"""Registration invitations: ``/lti/register`` works only with an invite an administrator
made in the console, so no visitor can make this server fetch a URL of their choosing
(server-side request forgery) or fill the table with pending platforms.

An invite is a signed random id (one salt for this purpose alone, like the other
purpose-specific tokens), good for :data:`MAX_AGE` seconds and for one registration: the
platform it registered keeps its id (``lti_platforms.invite_id``, unique), and an id
already on a platform is refused. Checked before any outgoing request.
"""

from __future__ import annotations

import secrets

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select

from app.errors import Forbidden
from app.extensions import db
from app.models import LtiPlatform

SALT = "achievements.lti.registration-invite"
MAX_AGE = 7 * 24 * 3600


def create_invite() -> str:
    """A new invite token (the value of ``?invite=`` in the registration URL)."""
    return _serializer().dumps(secrets.token_hex(16))


def usable_invite(token: str | None) -> str:
    """The invite's id, for the platform it registers; ``Forbidden`` when the token is
    missing, forged, older than seven days or already used."""
    invite_id = _read(token or "")
    if invite_id is None:
        raise Forbidden("a valid, unexpired registration invite is required")
    if db.session.scalar(select(LtiPlatform.id).where(LtiPlatform.invite_id == invite_id)):
        raise Forbidden("this registration invite was already used")
    return invite_id


def _read(token: str) -> str | None:
    try:
        invite_id = _serializer().loads(token, max_age=MAX_AGE)
    except BadData:
        return None
    return invite_id if isinstance(invite_id, str) and len(invite_id) == 32 else None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)
