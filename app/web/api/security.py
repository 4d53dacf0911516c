"""Turn a request's credentials into a :class:`Principal`."""

from __future__ import annotations

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

