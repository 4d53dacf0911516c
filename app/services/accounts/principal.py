"""Who is calling, and whose data they may touch.

Every transport turns its credentials into a :class:`Principal` and asks the
functions here; none decides on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.errors import Forbidden, InvalidInput
from app.services.accounts.courses import teaches

READ = "achievements:read"
WRITE = "progress:write"
ADMIN = "achievements:admin"


@dataclass(frozen=True)
class Principal:
    kind: str  # "learner" | "instructor" | "admin" | "service"
    id: int
    name: str = ""
    scopes: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def user(cls, user_id: int, role: str, email: str = "") -> Principal:
        return cls(kind=role, id=user_id, name=email)

    @classmethod
    def service(cls, token_id: int, name: str, scopes: frozenset[str]) -> Principal:
        return cls(kind="service", id=token_id, name=name, scopes=scopes)

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    @property
    def user_id(self) -> int | None:
        return None if self.is_service else self.id

    def has_scope(self, scope: str) -> bool:
        """Scopes of a token; an admin user holds them all. Instructors hold none
        blanket: they read only their courses' learners (see :func:`may_read`)."""
        if self.is_service:
            return scope in self.scopes or (scope == READ and ADMIN in self.scopes)
        return self.kind == "admin"

    @property
    def caller_key(self) -> str:
        """Namespaces idempotency keys per caller."""
        return f"{self.kind}:{self.id}"


def may_read(principal: Principal, user_id: int) -> bool:
    """Own data; everyone's with the read scope; an instructor their courses' learners."""
    if user_id == principal.user_id or principal.has_scope(READ):
        return True
    return principal.kind == "instructor" and teaches(principal.id, user_id)


def subject_for_read(principal: Principal, user_id: int | None) -> int:
    """The learner whose achievements ``principal`` asked to read."""
    if user_id is None:
        if principal.user_id is None:
            raise InvalidInput("user_id is required", fields={"user_id": ["required"]})
        return principal.user_id
    if may_read(principal, user_id):
        return user_id
    raise Forbidden("you may read only your own achievements or your courses' learners")


def require_scope(principal: Principal, scope: str) -> None:
    if not principal.has_scope(scope):
        raise Forbidden(f"the {scope} scope is required")


def subject_for_write(principal: Principal, user_id: int | None) -> int:
    """The learner whose progress ``principal`` may record."""
    require_scope(principal, WRITE)
    if user_id is None:
        raise InvalidInput("user_id is required", fields={"user_id": ["required"]})
    return user_id

