"""Who a launch (or a roster entry) is: the platform's ``(issuer, sub)`` → one user, through
the identity rules every sign-in shares (app.services.accounts.identities), and what
their LTI context roles make them in the mapped course.

- The identity's provider is ``lti:<issuer>``: one person at one LMS is one user, whatever
  client id or deployment launched them.
- New users get name, email and locale from the claims and are learners. A platform
  never makes an admin: an LMS Administrator is an instructor of that course only. An
  instructor of a mapped course gets the (course-scoped) instructor role, which opens
  the console on the courses they teach and nothing else.
- An existing local account with the same email is linked only when the platform was
  registered as trusted for email (an administrator vouches that it verifies them).
- Only *context* roles count (``…/membership#…``, their sub-roles, or the deprecated
  short names); institution and system roles (``…/institution/person#Administrator``)
  say nothing about this course.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.extensions import db
from app.models import LtiPlatform, User
from app.models.user import LEARNER_ROLE
from app.services.accounts.identities import Claims, LinkRequired, sign_in
from app.services.lti.claims import text

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
INSTRUCTOR_ROLES = frozenset({"Instructor", "TeachingAssistant", "ContentDeveloper",
                              "Administrator"})
LEARNER_ROLES = frozenset({"Learner"})


def provider(platform: LtiPlatform) -> str:
    """The identity table's provider for people this platform launches."""
    return f"lti:{platform.issuer}"


def course_role(roles: Sequence[Any]) -> str | None:
    """``instructor`` or ``learner`` in the mapped course from the context roles (the more
    privileged wins); None when no context role maps (e.g. only Mentor, or a system role)."""
    names = {_context_role(role) for role in roles if isinstance(role, str)}
    if names & INSTRUCTOR_ROLES:
        return "instructor"
    return "learner" if names & LEARNER_ROLES else None


def claims_of(platform: LtiPlatform, subject: str, claims: Mapping[str, Any]) -> Claims:
    """The person as the shared identity rules take them (an id_token or an NRPS member)."""
    given, family = text(claims.get("given_name"), 60), text(claims.get("family_name"), 60)
    name = text(claims.get("name"), 120) or " ".join(p for p in (given, family) if p) or None
    return Claims(provider=provider(platform), subject=subject,
                  email=text(claims.get("email"), 254), email_verified=platform.trusted_email,
                  name=name, locale=text(claims.get("locale"), 16))


def person_for(platform: LtiPlatform, subject: str, claims: Mapping[str, Any]) -> User | None:
    """The user for ``(issuer, subject)``, made on first sight; None when their email
    belongs to a local account this platform may not link (an admin must link it)."""
    found = person_and_news(platform, subject, claims)
    return found[0] if found else None


def person_and_news(platform: LtiPlatform, subject: str,
                    claims: Mapping[str, Any]) -> tuple[User, bool] | None:
    """:func:`person_for`, and whether the user was made just now (a launch counts its
    sign-in as a new or an existing account)."""
    try:
        return sign_in(claims_of(platform, subject, claims), None,
                       vouched=platform.trusted_email)
    except LinkRequired:
        return None


def may_teach(user: User) -> None:
    """An instructor of a mapped course needs the console: a learner account becomes an
    instructor, whose console and badge powers reach only the courses they teach
    (enrollments). Never an admin, never a demotion (they may teach elsewhere)."""
    if user.role == LEARNER_ROLE:
        user.role = "instructor"
        db.session.commit()


def _context_role(role: str) -> str:
    """``…/membership#Instructor`` → Instructor; ``…/membership/Instructor#TeachingAssistant``
    → Instructor (a sub-role is its principal's); a short name stays; anything else
    (institution, system roles) → ''."""
    if role.startswith(MEMBERSHIP + "#"):
        return role.split("#", 1)[1]
    if role.startswith(MEMBERSHIP + "/"):  # a sub-role counts as its principal role
        return role[len(MEMBERSHIP) + 1:].partition("#")[0]
    return role if "/" not in role and "#" not in role else ""
