"""A few autocommit psycopg connections per process, for single hot statements.

The reads of ``raw_sql``, and the one write that is a single statement safe
to send twice: recording a progress event (``app.services.recording.store``).

The app's ORM pool costs ~70 µs of Python per checkout and return (events,
reset-on-return, switching autocommit on and off around each read): a third
of a cached gRPC read. These connections stay in autocommit and are only
ever used for single statements, so they live in a pool of their own —
SQLAlchemy's ``QueuePool`` on a second engine with no reset on return
(~16 µs a checkout and return): at most ``size``, opened as needed, and when
all are busy a caller waits (up to ``timeout``) rather than opening another —
a process bound to one core by the GIL cannot use more at once, and a
connection opened per call would start a PostgreSQL backend per call.
A checkout that needs a new connection opens it right there, so while
PostgreSQL is down a read fails at once (503 / UNAVAILABLE) and the first
read after it is back reconnects; ``psycopg_pool``, used before, connected in
the background with a growing back-off, so reads waited out its 30 s timeout
during an outage and for ~25 s after it.
Each connection keeps one cursor and prepares its few statements on first use.

Driver errors leave as SQLAlchemy's (``OperationalError`` …), as from the
ORM, so REST and gRPC map them alike (503, UNAVAILABLE). A lost connection
has the idle ones dropped too (``dispose``: after a restart they are all
dead), and the read is tried once more on a new connection.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from psycopg import Connection, Cursor
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

READ_POOL_SIZE = 12  # connections per process (the server's ORM pool keeps its own)
T = TypeVar("T")


def reader(connection: Connection[Any]) -> Cursor[Any]:
    """The connection's kept cursor (statements are prepared per connection, on first use)."""
    cursor: Cursor[Any] | None = getattr(connection, "hot_reader", None)
    if cursor is None:
        cursor = connection.hot_reader = connection.cursor()  # type: ignore[attr-defined]
    return cursor


class ReadPool:
    def __init__(self, engine: Engine, size: int = READ_POOL_SIZE, timeout: float = 30.0) -> None:
        self._dialect = engine.dialect
        self._engine = create_engine(engine.url, poolclass=QueuePool, pool_size=size,
                                     max_overflow=0, pool_timeout=timeout,
                                     pool_reset_on_return=None, isolation_level="AUTOCOMMIT")

    def fetch(self, sql: str, params: Any, rows: Callable[[Cursor[Any]], T]) -> T:
        """``rows(cursor)`` after running ``sql`` (prepared) on a pooled connection.

        Only for a statement that may run twice: a read, or a write whose
        unique key makes a second run store nothing. When its connection turns
        out dead (the server restarted since it was pooled) it runs once more
        on a new one; only if that fails too does the caller see the error.
        """
        try:
            return self._fetch_once(sql, params, rows)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        return self._fetch_once(sql, params, rows)

    def _fetch_once(self, sql: str, params: Any, rows: Callable[[Cursor[Any]], T]) -> T:
        pooled = self._checkout(sql, params)
        try:
            return rows(reader(pooled.driver_connection).execute(sql, params, prepare=True))
        except self._dialect.loaded_dbapi.Error as exc:
            raise self._failed(exc, pooled, sql, params) from exc
        finally:
            pooled.close()  # back to the pool; an invalidated one is discarded

    @contextmanager
    def connection(self, sql: str, params: Any) -> Iterator[Any]:
        """A driver connection held for the block (errors translated as in :meth:`fetch`)."""
        pooled = self._checkout(sql, params)
        try:
            yield pooled.driver_connection
        except self._dialect.loaded_dbapi.Error as exc:
            raise self._failed(exc, pooled, sql, params) from exc
        finally:
            pooled.close()

    def _checkout(self, sql: str, params: Any) -> Any:
        """A pooled connection (PoolTimeout when all stay busy); connect errors as SQLAlchemy's."""
        try:
            return self._engine.raw_connection()
        except self._dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(sql, params, exc, self._dialect.loaded_dbapi.Error,
                                      connection_invalidated=True) from exc

    def _failed(self, exc: Exception, pooled: Any, sql: str, params: Any) -> Exception:
        """The driver error as SQLAlchemy's; a lost server has the idle connections dropped."""
        lost = self._dialect.is_disconnect(exc, pooled.driver_connection, None)
        if lost:
            pooled.invalidate(exc)
            self._engine.dispose()
        return DBAPIError.instance(sql, params, exc, self._dialect.loaded_dbapi.Error,
                                   connection_invalidated=lost)

    def close(self) -> None:
        self._engine.dispose()


_pools: dict[tuple[int, str], ReadPool] = {}
_lock = threading.Lock()
_last: tuple[Engine, int, ReadPool] | None = None  # the pool last asked for: no URL rendering


def read_pool(engine: Engine) -> ReadPool:
    """The process's pool for ``engine``'s database (a forked child gets its own)."""
    global _last
    last = _last
    if last is not None and last[0] is engine and last[1] == os.getpid():
        return last[2]
    pool = _pool_for(engine)
    _last = (engine, os.getpid(), pool)
    return pool


def _pool_for(engine: Engine) -> ReadPool:
    key = (os.getpid(), str(engine.url))
    pool = _pools.get(key)
    if pool is None:
        with _lock:
            if key not in _pools:
                _pools[key] = ReadPool(engine)
                atexit.register(_pools[key].close)
            pool = _pools[key]
    return pool
