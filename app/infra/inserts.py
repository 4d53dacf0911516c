"""``INSERT ... ON CONFLICT DO NOTHING`` on PostgreSQL and SQLite alike."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db


def insert_ignore_stmt(model: Any, conflict_columns: Sequence[str]) -> Insert:
    """An insert that skips rows violating the unique key on ``conflict_columns``."""
    return _module(_dialect_name()).insert(model).on_conflict_do_nothing(
        index_elements=list(conflict_columns))


def insert_ignore(model: Any, conflict_columns: Sequence[str], values: dict[str, Any]) -> bool:
    """Insert one row unless it conflicts; True when a row was inserted."""
    stmt = _prepared(_dialect_name(), model.__table__, tuple(conflict_columns), None)
    return db.session.execute(stmt, values).rowcount == 1


def insert_ignore_returning(model: Any, conflict_columns: Sequence[str],
                            values: dict[str, Any], returning: str) -> Any:
    """Insert one row unless it conflicts; its ``returning`` column, None on a conflict."""
    stmt = _prepared(_dialect_name(), model.__table__, tuple(conflict_columns), returning)
    return db.session.scalar(stmt, values)


@cache
def _prepared(dialect: str, table: Table, conflict_columns: tuple[str, ...],
              returning: str | None) -> Insert:
    """One statement per table, key and dialect, the row bound at execution: SQLAlchemy
    then neither rebuilds nor re-keys it per call (a third of recording an event's CPU
    went to building ``insert(...).values(row)`` afresh)."""
    stmt = _module(dialect).insert(table).on_conflict_do_nothing(
        index_elements=list(conflict_columns))
    return stmt.returning(table.c[returning]) if returning else stmt


def _dialect_name() -> str:
    return db.session.get_bind().dialect.name


def _module(dialect: str) -> Any:
    return postgresql if dialect == "postgresql" else sqlite
