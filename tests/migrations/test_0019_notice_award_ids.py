"""Migration 0019 (an award notice names its awards) through ``flask db upgrade`` and back
down on SQLite: notices already there keep their one award in ``subject_id`` (the relay
reads that when ``award_ids`` is empty). (PostgreSQL: ``test_0017_lti``'s drift check runs
at head and covers it.)"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from tests.support.services import flask_command

NOTICE = ("INSERT INTO notifications (user_id, kind, channel, cause, subject_id, status, due_at, "
          "attempts, created_at{}) VALUES (1, 'award', 'email', '{}', {}, 'pending', "
          "'2026-01-01', 0, '2026-01-01'{})")


def test_award_ids_up_and_down_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrate.db'}"
    flask_command({"DATABASE_URL": url}, "db", "upgrade", "0018")
    with closing(sqlite3.connect(tmp_path / "migrate.db")) as conn:
        conn.execute(NOTICE.format("", "award:7", 7, ""))
        conn.commit()
    flask_command({"DATABASE_URL": url}, "db", "upgrade", "0019")
    with closing(sqlite3.connect(tmp_path / "migrate.db")) as conn:
        conn.execute(NOTICE.format(", award_ids", "award:8", 8, ", '[8, 9]'"))
        conn.commit()
        assert conn.execute("SELECT cause, subject_id, award_ids FROM notifications "
                            "ORDER BY id").fetchall() == [("award:7", 7, None),
                                                          ("award:8", 8, "[8, 9]")]
    flask_command({"DATABASE_URL": url}, "db", "downgrade", "0018")
    with closing(sqlite3.connect(tmp_path / "migrate.db")) as conn:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(notifications)")}
        assert "award_ids" not in columns
        assert conn.execute("SELECT count(*) FROM notifications").fetchone() == (2,)
