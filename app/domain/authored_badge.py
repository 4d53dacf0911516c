"""An author-defined badge as detection evaluates it: one published version, plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AuthoredBadge:
    """Awards of this badge have type ``badge`` and dedupe key ``badge:<key>``."""

    key: str
    title: str
    description: str
    criteria: dict[str, Any]
    version: int = 1
    hidden: bool = False
    expires_after_days: int | None = None
    image: dict[str, Any] = field(default_factory=dict)

    @property
    def dedupe_key(self) -> str:
        return f"badge:{self.key}"
