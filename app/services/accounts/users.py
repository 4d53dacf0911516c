"""Creating and authenticating users (argon2id password hashes)."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.infra.translations import shipped_locales
from app.models import User
from app.models.user import ROLES
from app.services.xapi import match_learner

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash to verify against when no user has the email, so a miss takes as long as a
    wrong password. Made on first use, not at import (argon2 costs every process ~0.2 s)."""
    return _hasher.hash("timing-equaliser")


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {name!r}", fields={"timezone": ["unknown"]}) from exc
    return name


def validate_locale(code: str | None) -> str | None:
    """A shipped catalog's code, or None (follow the browser's languages)."""
    if code in (None, ""):
        return None
    if code not in shipped_locales():
        raise InvalidInput(f"locale must be one of {', '.join(shipped_locales())}",
                           fields={"locale": ["unknown"]})
    return code


MAX_NAME = 120


def validate_display_name(name: str | None) -> str | None:
    """The name a learner is shown by (public badge pages, course teams): trimmed, inner
    whitespace collapsed, no control characters; empty means none (the email is never
    shown in its place on a public page)."""
    cleaned = " ".join((name or "").split())
    if not cleaned:
        return None
    if len(cleaned) > MAX_NAME or any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in cleaned):
        raise InvalidInput(f"a name has at most {MAX_NAME} printable characters",
                           fields={"display_name": ["invalid"]})
    return cleaned


def set_preferences(user: User, locale: str | None, timezone: str,
                    display_name: str | None = None) -> User:
    """Save the learner's language, time zone and (unless None: kept) name; an empty name
    clears it (the settings page)."""
    if display_name is not None:
        user.display_name = validate_display_name(display_name)
    user.locale = validate_locale(locale)
    user.timezone = validate_timezone(timezone)
    db.session.commit()
    return user


def create_user(email: str, password: str, role: str = "learner", timezone: str = "UTC",
                locale: str | None = None, display_name: str | None = None) -> User:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise InvalidInput("a valid email is required", fields={"email": ["invalid"]})
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", fields={"role": ["invalid"]})
    if len(password) < 8:
        raise InvalidInput("password must be at least 8 characters", fields={"password": ["short"]})
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email} exists")
    user = User(email=email, password_hash=_hasher.hash(password), role=role,
                timezone=validate_timezone(timezone), locale=validate_locale(locale),
                display_name=validate_display_name(display_name))
    db.session.add(user)
    db.session.commit()
    match_learner(user.id, user.email, user.mbox_sha1sum)  # xAPI statements waiting for them
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user whose password matches, else None; costs the same either way."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    return user


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)
