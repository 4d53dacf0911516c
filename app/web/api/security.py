"""Turn a request's credentials into a :class:`Principal`."""

from __future__ import annotations

from flask import g, request
from flask_login import current_user

from app.accounts import Principal, verify_token
from app.errors import Unauthenticated


def current_principal() -> Principal:
    """The bearer token's service principal, else the logged-in user; 401 otherwise."""
    if "principal" in g:
        return g.principal
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        principal = verify_token(credentials)
    elif current_user.is_authenticated:
        principal = Principal.user(current_user.id, current_user.role, current_user.email)
    else:
        raise Unauthenticated("log in or send a bearer service token")
    g.principal = principal
    return principal
