"""Learners' display names, as a transport shows them next to their awards.

The name is the one a learner set (Settings, ``users create --name``), or empty: a reader
of awards never gets an email in its place. Read on every call, so a renamed learner is
named anew at once; it is one primary-key lookup beside the page's own query.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from app.extensions import db
from app.infra.sql import on_postgresql
from app.models import User
from app.read.history import fetch_rows

_NAMES_SQL = "SELECT id, display_name FROM users WHERE id = ANY(%(ids)s)"


def learner_names(user_ids: Iterable[int]) -> dict[int, str]:
    """Each learner's display name, ``""`` when unset (ids that name nobody are left out).

    On PostgreSQL one prepared statement, on the read pool outside a session transaction
    (no BEGIN/ROLLBACK), as the history pages read."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    if on_postgresql():
        rows = fetch_rows(_NAMES_SQL, {"ids": ids})
    else:
        rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {row[0]: row[1] or "" for row in rows}
