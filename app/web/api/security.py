"""Turn a request's credentials into a :class:`Principal`."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from app.accounts import Principal, verify_token
from app.errors import Unauthenticated


def current_principal() -> Principal:
    """The bearer token's service principal, else the logged-in user; 401 otherwise.

    Not cached in ``g``: an app context can outlive one request (tests, CLI), and
    a principal must never leak from one request into the next.
    """
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return verify_token(credentials)
    if current_user.is_authenticated:
        return Principal.user(current_user.id, current_user.role, current_user.email)
    raise Unauthenticated("log in or send a bearer service token")
