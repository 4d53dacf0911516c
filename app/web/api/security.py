"""Turn a request's credentials into a :class:`Principal`."""

from __future__ import annotations

import base64
import binascii

from flask import current_app, request
from flask_login import current_user

from app.errors import Unauthenticated
from app.services.accounts import Principal
from app.services.accounts.tokens import shared_cache


def current_principal() -> Principal:
    """The bearer token's service principal, else the logged-in user; 401 otherwise.

    Not cached in ``g``: an app context can outlive one request (tests, CLI), and
    a principal must never leak from one request into the next. Bearer tokens go
    through the app's token cache (``TOKEN_CACHE_SECONDS``): a revoked
    token may keep working that long, an unknown one is checked every time.
    """
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return shared_cache(current_app).principal(credentials)
    if current_user.is_authenticated:
        return Principal.user(current_user.id, current_user.role, current_user.email)
    raise Unauthenticated("log in or send a bearer service token")



def token_principal() -> Principal:
    """The service token of a Bearer header, or the password of a Basic one (any user name).

    For callers that speak HTTP Basic only (xAPI clients and LRS forwarding); a
    session cookie is never enough here. 401 for anything else.
    """
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return shared_cache(current_app).principal(credentials)
    if scheme.lower() == "basic":
        return shared_cache(current_app).principal(_basic_password(credentials))
    raise Unauthenticated("send a service token as the Basic password or as a Bearer token")


def _basic_password(credentials: str) -> str:
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthenticated("malformed Basic credentials") from exc
    _user, separator, password = decoded.partition(":")
    if not separator or not password:
        raise Unauthenticated("the Basic password must be a service token")
    return password
