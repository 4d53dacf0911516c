"""People, service tokens and who may act on whose data — shared by every transport."""

from app.services.accounts.courses import enroll, teaches
from app.services.accounts.principal import (
    Principal,
    may_read,
    require_scope,
    subject_for_read,
    subject_for_write,
)
from app.services.accounts.tokens import create_token, list_tokens, revoke_token, verify_token
from app.services.accounts.users import authenticate, create_user, get_user, set_preferences

__all__ = [
    "Principal",
    "authenticate",
    "create_token",
    "create_user",
    "enroll",
    "get_user",
    "list_tokens",
    "may_read",
    "require_scope",
    "revoke_token",
    "set_preferences",
    "subject_for_read",
    "subject_for_write",
    "teaches",
    "verify_token",
]
