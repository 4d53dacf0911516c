"""People signed in by an outside issuer (OpenID Connect, SAML, LTI): one rule set for all.

- An identity is ``(provider, subject)`` → one user; the first sign-in creates the
  user from the claims (just in time), later ones find the same user.
- A new identity is never bound to an existing account because the emails match:
  whoever controls an issuer could otherwise take over any local account. It is
  linked only when the issuer verified the email *and* the person proves the local
  account (its password, :func:`link_after_password`), or by an admin
  (``flask --app wsgi users link``).
  An issuer an administrator *vouches for* (an LTI platform registered with
  ``--trusted-email``: LTI has no ``email_verified`` claim) is that proof: its
  verified email links the identity to the existing account at once.
- The role comes from the issuer's claims through a configured map; with no map or
  no mapped value the person is a learner. The issuer is the authority for people
  it signs in, so the role is set again on each sign-in. LTI passes no role
  (``None``): a platform's course roles never make a global instructor or admin, so
  the account's role is left as it is (new accounts are learners).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.models import Identity, User
from app.models.types import utcnow
from app.models.user import LEARNER_ROLE, ROLES
from app.services.accounts.users import authenticate, validate_display_name, validate_locale
from app.services.xapi import match_learner

NO_PASSWORD = "!"  # never a valid argon2 hash: password sign-in is impossible for this user


@dataclass(frozen=True)
class Claims:
    """What an issuer asserted about the person, already verified by its protocol."""

    provider: str
    subject: str
    email: str | None = None
    email_verified: bool = False
    name: str | None = None
    locale: str | None = None
    role_values: tuple[str, ...] = field(default_factory=tuple)


class LinkRequired(Conflict):
    """A local account already has this email: the person must prove it (or an admin links)."""

    def __init__(self, claims: Claims) -> None:
        super().__init__(f"an account with email {claims.email} exists; link it first")
        self.claims = claims


def role_from(values: Iterable[str], role_map: Mapping[str, str]) -> str:
    """The most privileged role any value maps to; a learner when none does."""
    mapped = {role_map[value] for value in values if role_map.get(value) in ROLES}
    return max(mapped, key=ROLES.index, default=LEARNER_ROLE)


def find_identity(provider: str, subject: str) -> Identity | None:
    return db.session.scalar(select(Identity).where(Identity.provider == provider,
                                                    Identity.subject == subject))


def sign_in(claims: Claims, role: str | None, retry: bool = True,
            vouched: bool = False) -> tuple[User, bool]:
    """The user of this identity and whether it was just created (first sign-in); raises
    :class:`LinkRequired` when the email belongs to an account not bound to it, unless
    the issuer is ``vouched`` for by an administrator and the email verified. A
    ``role`` of None leaves the account's role as it is."""
    identity = find_identity(claims.provider, claims.subject)
    if identity is not None:
        user = db.session.get(User, identity.user_id)
        assert user is not None  # the foreign key cascades
        identity.last_seen_at, identity.email = utcnow(), claims.email
        user.role = role or user.role
        db.session.commit()
        return user, False
    existing = _user_by_email(claims.email) if claims.email else None
    if existing is not None and not (vouched and claims.email_verified):
        raise LinkRequired(claims)
    try:
        if existing is not None:
            _bind(existing, claims)
            db.session.commit()
            return existing, False
        return _create(claims, role or LEARNER_ROLE), True
    except IntegrityError:  # the same person's first sign-in in two tabs: one row wins
        db.session.rollback()
        if not retry:
            raise
        return sign_in(claims, role, retry=False, vouched=vouched)


def link_after_password(claims: Claims, role: str, password: str) -> User | None:
    """Bind the identity to the account with its email, if the issuer verified that email
    and ``password`` is the account's; None when either is not so (nothing changes)."""
    if not (claims.email and claims.email_verified):
        return None
    user = authenticate(claims.email, password)
    if user is None:
        return None
    _bind(user, claims)
    user.role = role
    db.session.commit()
    return user


def link(email: str, provider: str, subject: str) -> User:
    """An admin's link (CLI): no proof asked, the admin vouches."""
    user = _user_by_email(email)
    if user is None:
        raise InvalidInput(f"no user {email}", fields={"email": ["unknown"]})
    existing = find_identity(provider, subject)
    if existing is not None and existing.user_id != user.id:
        raise Conflict(f"{provider} {subject} is already bound to user {existing.user_id}")
    if existing is None:
        _bind(user, Claims(provider=provider, subject=subject, email=user.email))
    db.session.commit()
    return user


def _create(claims: Claims, role: str) -> User:
    email = (claims.email or f"{claims.subject}@{_domain(claims.provider)}").strip().lower()
    user = User(email=email[:254], password_hash=NO_PASSWORD, role=role,
                display_name=_clean_name(claims.name), locale=_known_locale(claims.locale))
    db.session.add(user)
    db.session.flush()
    _bind(user, claims)
    db.session.commit()
    match_learner(user.id, user.email, user.mbox_sha1sum)  # xAPI statements waiting for them
    return user


def _bind(user: User, claims: Claims) -> None:
    db.session.add(Identity(provider=claims.provider, subject=claims.subject, user_id=user.id,
                            email=claims.email))


def _user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def _domain(provider: str) -> str:
    """A placeholder address's domain when an issuer sends no email (never mailed)."""
    return "".join(c for c in provider.split(":", 1)[-1] if c.isalnum() or c in ".-")[:60] \
        + ".invalid"


def _clean_name(name: str | None) -> str | None:
    try:
        return validate_display_name(name)
    except InvalidInput:
        return None


def _known_locale(locale: str | None) -> str | None:
    code = (locale or "").replace("_", "-").split("-")[0].lower() or None
    try:
        return validate_locale(code)
    except InvalidInput:
        return None
