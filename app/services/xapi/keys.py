"""The query keys stored with new statements, a StatementRef's target's keys included.

xAPI 1.0.3 (Communication 2.1.3): for every filter but ``since``, ``until`` and
``limit``, a statement whose object is a StatementRef matches when its target does (a
voiding statement is found by the verb of what it voided). The target's keys are copied
when the referring statement is stored; a target stored later is not looked back for.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, text

from app.domain.xapi_keys import statement_keys
from app.extensions import db
from app.infra.sql import on_postgresql
from app.models.xapi import XapiStatementKey

# PostgreSQL takes every key of a batch as two arrays in one statement; an executemany
# sends them one by one (~400 for a batch of 100 statements) and a multi-row VALUES costs
# more to compile than to run.
UNNEST = text("INSERT INTO xapi_statement_keys (statement_id, key) "
              "SELECT * FROM unnest(CAST(:ids AS varchar[]), CAST(:keys AS varchar[]))")


def store_keys(statements: dict[str, dict[str, Any]]) -> None:
    """Store the keys of ``{id: normalized statement}`` in the caller's transaction."""
    rows = key_rows(statements)
    if not rows:
        return
    if on_postgresql():
        db.session.execute(UNNEST, {"ids": [row["statement_id"] for row in rows],
                                    "keys": [row["key"] for row in rows]})
    else:
        db.session.execute(insert(XapiStatementKey), rows)


def key_rows(statements: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """Rows of ``xapi_statement_keys`` for ``{id: normalized statement}``."""
    keys = {ident: statement_keys(body) for ident, body in statements.items()}
    targets = {ident: str(body["object"]["id"]).lower() for ident, body in statements.items()
               if body["object"].get("objectType") == "StatementRef"}
    if targets:
        stored: dict[str, set[str]] = {}
        query = select(XapiStatementKey.statement_id, XapiStatementKey.key).where(
            XapiStatementKey.statement_id.in_(set(targets.values())))
        for target, key in db.session.execute(query):
            stored.setdefault(target, set()).add(key)
        for ident, target in targets.items():
            keys[ident] |= stored.get(target, set()) | keys.get(target, set())
    return [{"statement_id": ident, "key": key} for ident, found in keys.items() for key in found]
