"""Holder counts per award key, kept in step with awards: rarity without scanning awards.

Every change of who holds an award (insert, revoke, restore) adjusts
``achievement_stats`` in the same transaction, so the counts are exactly the
number of unrevoked award rows per dedupe key. Rows are upserted in key order
so two transactions touching the same keys cannot deadlock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy.dialects import sqlite

from app.extensions import db
from app.infra.bulk import upsert_holders_pg
from app.infra.sql import on_postgresql
from app.models import AchievementStat


def add_holders(keys: Iterable[tuple[str, str]], delta: int = 1) -> None:
    """Add ``delta`` holders for each (dedupe_key, achievement_type), once per occurrence."""
    counts = Counter(keys)
    if not counts:
        return
    ordered = sorted(counts.items())
    if on_postgresql():
        upsert_holders_pg([(key, kind, n * delta) for (key, kind), n in ordered])
        return
    table = AchievementStat.__table__
    for (key, kind), n in ordered:
        stmt = sqlite.insert(table).values(dedupe_key=key, achievement_type=kind,
                                           holders=max(n * delta, 0))
        stmt = stmt.on_conflict_do_update(index_elements=["dedupe_key"],
                                          set_={"holders": table.c.holders + n * delta})
        db.session.execute(stmt)
