"""Throttle failed log-ins per (email, client address) with a fixed-window counter.

The counter lives in the database (``login_failures``), so it works on the
embedded default without Redis and is shared by every web process. After
``limit`` failures within ``window`` that pair is refused until the window
ends; a successful log-in clears it. Only a digest of the pair is stored.
"""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

from sqlalchemy import case, update

from app.errors import DomainError
from app.extensions import db
from app.infra.inserts import insert_ignore
from app.models import LoginFailure
from app.models.types import utcnow

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


class TooManyAttempts(DomainError):
    code = "throttled"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed log-ins; try again in {retry_after} seconds")
        self.retry_after = retry_after


def throttle_key(email: str, address: str | None) -> str:
    return hashlib.sha256(f"{email.strip().lower()}|{address or '-'}".encode()).hexdigest()


def check_allowed(key: str, limit: int = MAX_FAILURES, window: timedelta = WINDOW) -> None:
    """Raise :class:`TooManyAttempts` while the pair is locked out."""
    row = db.session.get(LoginFailure, key)
    if row is None or row.failures < limit:
        return
    left = (row.window_started_at + window - utcnow()).total_seconds()
    if left > 0:
        raise TooManyAttempts(math.ceil(left))


def record_failure(key: str, window: timedelta = WINDOW) -> None:
    """Count one failure atomically; an expired window restarts at one."""
    now = utcnow()
    insert_ignore(LoginFailure, ["key"], {"key": key, "failures": 0, "window_started_at": now})
    expired = LoginFailure.window_started_at < now - window
    db.session.execute(update(LoginFailure).where(LoginFailure.key == key).values(
        failures=case((expired, 1), else_=LoginFailure.failures + 1),
        window_started_at=case((expired, now), else_=LoginFailure.window_started_at),
    ))
    db.session.commit()


def clear_failures(key: str) -> None:
    row = db.session.get(LoginFailure, key)
    if row is not None:
        db.session.delete(row)
        db.session.commit()
