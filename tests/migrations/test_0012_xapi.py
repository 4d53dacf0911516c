"""Migration 0012 (xAPI voiding, attachments, query keys) on a SQLite file, through
``flask db upgrade`` as deployments run it: statements stored before it are found by
queries afterwards, and it goes down again."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from app.domain.xapi_keys import key
from tests.support.services import flask_command

STATEMENT = {"actor": {"mbox": "mailto:ann@x.org"},
             "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
             "object": {"id": "http://x.org/a"},
             "context": {"contextActivities": {"parent": {"id": "http://x.org/course"}}}}
ROW = ("INSERT INTO xapi_statements (id, body, body_hash, source, state, stored_at) "
       "VALUES ('5d2c4b1e-0c55-4a1e-9a39-3f1f0f6e7a10', ?, 'h', 'service:1', 'waiting', "
       "'2024-05-01 12:00:00+00:00')")


def test_statements_stored_before_0012_get_their_query_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrate.db'}"
    flask_command({"DATABASE_URL": url}, "db", "upgrade", "0011")
    with closing(sqlite3.connect(tmp_path / "migrate.db")) as conn:
        conn.execute(ROW, (json.dumps(STATEMENT),))
        conn.commit()
    flask_command({"DATABASE_URL": url}, "db", "upgrade", "0012")
    with closing(sqlite3.connect(tmp_path / "migrate.db")) as conn:
        keys = {row[0] for row in conn.execute("SELECT key FROM xapi_statement_keys")}
        voided = conn.execute("SELECT voided_by FROM xapi_statements").fetchall()
    assert key("verb", STATEMENT["verb"]["id"]) in keys
    assert key("activity~", "http://x.org/course") in keys
    assert voided == [(None,)]
    flask_command({"DATABASE_URL": url}, "db", "downgrade", "0011")
