"""A progress event as a caller submits it, before validation against the catalog."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ProgressInput:
    """A progress event as a caller submits it, before validation."""

    user_id: int
    kind: str
    occurred_at: datetime | None
    idempotency_key: str
    module: str | None = None
    assessment: str | None = None
    score: float | None = None
    source: str = "api"

    def fingerprint(self) -> str:
        """Hash of the fields that define "the same request" for idempotency."""
        body = {k: getattr(self, k) for k in ("user_id", "kind", "module", "assessment", "score")}
        body["occurred_at"] = self.occurred_at.isoformat() if self.occurred_at else None
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
