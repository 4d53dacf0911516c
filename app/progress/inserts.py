"""``INSERT ... ON CONFLICT DO NOTHING`` on PostgreSQL and SQLite alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db


def insert_ignore_stmt(model: Any, conflict_columns: Sequence[str]) -> Insert:
    """An insert that skips rows violating the unique key on ``conflict_columns``."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model).on_conflict_do_nothing(index_elements=list(conflict_columns))


def insert_ignore(model: Any, conflict_columns: Sequence[str], values: dict[str, Any]) -> bool:
    """Insert one row unless it conflicts; True when a row was inserted."""
    stmt = insert_ignore_stmt(model, conflict_columns).values(**values)
    return db.session.execute(stmt).rowcount == 1
