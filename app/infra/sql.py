"""Hot statements as hand-written SQL on a pooled psycopg connection (PostgreSQL only).

Why: a gRPC server process is bound to one core by the GIL, and building,
compiling and executing an ORM statement cost ~0.3-0.5 ms of Python per
statement — more than PostgreSQL spends answering it. The same statement as
a plain string on the DBAPI connection (psycopg prepares it after a few
runs) costs ~0.06 ms. The rules stay in one place: these functions return
exactly what their ORM counterparts in :mod:`app.read.history` and
:mod:`app.read.summary` compute (tests/grpc/test_hot_reads.py
compares them on PostgreSQL); other databases use those counterparts.

Reads run in autocommit (each statement its own snapshot, as under READ
COMMITTED anyway), so they cost one round trip and no BEGIN/ROLLBACK.
A statement that belongs to the ORM session's transaction (detection's batch reads and
inserts, app.infra.bulk) goes the same way on the session's own connection:
:func:`in_session`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import Cursor
from psycopg import Error as DriverError
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.extensions import db
from app.infra.pool import read_pool, reader

DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, DisconnectionError,
                                                     PoolTimeout)
"""The database could not be reached or dropped the connection (a restart, a failover,
an exhausted pool): not a bug, and the same call may succeed a moment later. REST
answers 503 with ``Retry-After``, gRPC UNAVAILABLE."""


def on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


Params = Sequence[Any] | dict[str, Any]


def fetch_all(sql: str, params: Params) -> list[tuple[Any, ...]]:
    """All rows of one statement on this process's read pool (prepared, autocommit)."""
    return read_pool(db.engine).fetch(sql, params, _all)


def fetch_one(sql: str, params: Params) -> tuple[Any, ...] | None:
    """The first row of one statement, or None (as :func:`fetch_all`)."""
    return read_pool(db.engine).fetch(sql, params, _one)


def execute(sql: str, params: Params) -> int:
    """Run one statement that returns no rows (as :func:`fetch_all`); its row count.

    Only for a statement whose second run changes nothing more: the pool sends
    it again when the connection turns out dead.
    """
    return read_pool(db.engine).fetch(sql, params, _rowcount)


def in_session(sql: str, params: Params) -> list[tuple[Any, ...]]:
    """The rows of one PostgreSQL statement (none if it returns none) in the ORM session's
    transaction (begun if none is), run as plain SQL on the session's psycopg connection, prepared.

    ``session.execute`` of the same text costs ~60 µs more Python per statement (its
    compiled cache, execution context and result): a tenth of a detection pass's CPU
    over its batch statements. Driver errors leave as SQLAlchemy's, and a lost connection
    is invalidated, as they would from the ORM: callers and the error handlers that map
    them to 503 and UNAVAILABLE cannot tell the difference.
    """
    session = db.session()
    if session.autoflush:  # as session.execute would: the ORM's pending changes go first
        session.flush()
    connection = session.connection()
    driver = connection.connection.driver_connection
    try:
        cursor = reader(driver).execute(sql, params, prepare=True)
        return cursor.fetchall() if cursor.description is not None else []
    except DriverError as exc:
        lost = connection.dialect.is_disconnect(exc, driver, None)
        if lost:
            connection.invalidate(exc)
        raise DBAPIError.instance(sql, params, exc, DriverError,
                                  connection_invalidated=lost) from exc


def _rowcount(cursor: Cursor[Any]) -> int:
    return cursor.rowcount


def _all(cursor: Cursor[Any]) -> list[Any]:
    return cursor.fetchall()


def _one(cursor: Cursor[Any]) -> Any:
    return cursor.fetchone()
