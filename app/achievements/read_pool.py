"""A few autocommit psycopg connections per process, for the hot reads of ``raw_sql``.

The SQLAlchemy pool costs ~70 µs of Python per checkout and return
(events, reset-on-return, switching autocommit on and off around each
read): a third of a cached gRPC read. These connections stay in autocommit
and are only ever used for single read statements, so psycopg's own pool
(``psycopg_pool``) holds them: at most ``size``, opened as needed; when all
are busy a caller waits (up to ``timeout``) rather than opening another — a
process bound to one core by the GIL cannot use more at once, and a
connection opened per call would start a PostgreSQL backend per call.
Each connection keeps one cursor and prepares its few statements on first
use; :meth:`ReadPool.fetch` checks out and returns without context-manager
generators, and the pool last asked for is found without rendering the
engine's URL (together ~25 µs of a ~120 µs cached read).

Driver errors leave as SQLAlchemy's (``OperationalError`` …), as from the
ORM, so REST and gRPC map them alike (503, UNAVAILABLE). The pool drops a
broken connection when it is returned; a lost server also has the idle
ones checked, so the next call reconnects instead of failing again.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from psycopg import Connection, Cursor
from psycopg_pool import ConnectionPool
from psycopg_pool import PoolTimeout as ReadPoolTimeout
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

READ_POOL_SIZE = 12  # connections per process (the server's ORM pool keeps its own)
T = TypeVar("T")


class ReadConnection(Connection[Any]):
    """A hot-read connection: autocommit, one cursor kept for its life, statements prepared."""

    reader: Cursor[Any] | None = None

    def read(self, sql: str, params: Any) -> Cursor[Any]:
        """``sql`` run on the kept cursor, prepared on first use (a few fixed statements)."""
        if self.reader is None:
            self.reader = self.cursor()
        return self.reader.execute(sql, params, prepare=True)


class ReadPool:
    def __init__(self, engine: Engine, size: int = READ_POOL_SIZE, timeout: float = 30.0) -> None:
        _args, params = engine.dialect.create_connect_args(engine.url)
        self._dialect = engine.dialect
        self._pool = ConnectionPool(kwargs={**params, "autocommit": True}, min_size=0,
                                    max_size=size, timeout=timeout, open=True,
                                    connection_class=ReadConnection,
                                    name=f"hot-reads-{os.getpid()}")

    def fetch(self, sql: str, params: Any, rows: Callable[[Cursor[Any]], T]) -> T:
        """``rows(cursor)`` after running ``sql``: :meth:`connection` without its generator."""
        connection = None
        try:
            connection = self._pool.getconn()
            return rows(connection.read(sql, params))
        except ReadPoolTimeout as exc:
            raise PoolTimeout(str(exc)) from exc
        except self._dialect.loaded_dbapi.Error as exc:
            raise self._failed(exc, connection, sql, params) from exc
        finally:
            if connection is not None:
                self._pool.putconn(connection)  # a broken one is dropped, not pooled

    @contextmanager
    def connection(self, sql: str, params: Any) -> Iterator[Any]:
        """A connection held for the block (errors translated as in :meth:`fetch`)."""
        connection = None
        try:
            with self._pool.connection() as connection:
                yield connection
        except ReadPoolTimeout as exc:
            raise PoolTimeout(str(exc)) from exc
        except self._dialect.loaded_dbapi.Error as exc:
            raise self._failed(exc, connection, sql, params) from exc

    def _failed(self, exc: Exception, connection: Any, sql: str, params: Any) -> Exception:
        """The driver error as SQLAlchemy's; a lost server has the idle connections checked."""
        if self._dialect.is_disconnect(exc, connection, None):
            self._pool.check()  # the server went away: drop the idle ones too
        return DBAPIError.instance(sql, params, exc, self._dialect.loaded_dbapi.Error,
                                   connection_invalidated=True)

    def close(self) -> None:
        self._pool.close()


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
