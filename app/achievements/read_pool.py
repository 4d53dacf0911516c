"""A few autocommit psycopg connections per process, for the hot reads of ``raw_sql``.

The SQLAlchemy pool costs ~70 µs of Python per checkout and return
(events, reset-on-return, switching autocommit on and off around each
read): a third of a cached gRPC read. These connections stay in autocommit
and are only ever used for single read statements, so a LIFO queue of at
most ``size`` of them, opened on first use, is all the pooling they need.
When all are busy a caller waits (up to ``timeout``) rather than opening
another: a process bound to one core by the GIL cannot use more at once,
and a connection opened per call would start a PostgreSQL backend per call.

Driver errors leave as SQLAlchemy's (``OperationalError`` …), as from the
ORM, so REST and gRPC map them alike (503, UNAVAILABLE). A failed
connection is closed; a lost server also closes the idle ones, so the next
call reconnects.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

READ_POOL_SIZE = 12  # connections per process (the server's ORM pool keeps its own)


class ReadPool:
    def __init__(self, engine: Engine, size: int = READ_POOL_SIZE, timeout: float = 30.0) -> None:
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        self._connect: Callable[[], Any] = lambda: engine.dialect.loaded_dbapi.connect(
            *cargs, **cparams, autocommit=True)
        self._dialect = engine.dialect
        self.timeout = timeout
        self._slots: queue.LifoQueue[Any] = queue.LifoQueue(maxsize=size)
        for _ in range(size):
            self._slots.put(None)  # a free slot without an open connection yet

    @contextmanager
    def connection(self, sql: str, params: Any) -> Iterator[Any]:
        try:
            connection = self._slots.get(timeout=self.timeout)
        except queue.Empty as exc:
            raise PoolTimeout(f"no read connection free within {self.timeout} s") from exc
        try:
            if connection is None or connection.closed:
                connection = self._connect()
            yield connection
        except self._dialect.loaded_dbapi.Error as exc:
            connection = self._discard(connection, exc)
            raise DBAPIError.instance(sql, params, exc, self._dialect.loaded_dbapi.Error,
                                      connection_invalidated=True) from exc
        except BaseException:
            connection = self._discard(connection, None)
            raise
        finally:
            self._slots.put(connection)

    def _discard(self, connection: Any, exc: Exception | None) -> None:
        if connection is not None:
            lost = exc is not None and self._dialect.is_disconnect(exc, connection, None)
            with suppress(Exception):
                connection.close()
            if lost:
                self.close_idle()

    def close_idle(self) -> None:
        """Close every connection not in use now (they reconnect on their next use)."""
        idle = []
        with suppress(queue.Empty):
            while True:
                idle.append(self._slots.get_nowait())
        for connection in idle:
            if connection is not None:
                with suppress(Exception):
                    connection.close()
            self._slots.put(None)


_pools: dict[tuple[int, str], ReadPool] = {}
_lock = threading.Lock()


def read_pool(engine: Engine) -> ReadPool:
    """The process's pool for ``engine``'s database (a forked child gets its own)."""
    key = (os.getpid(), str(engine.url))
    pool = _pools.get(key)
    if pool is None:
        with _lock:
            pool = _pools.setdefault(key, ReadPool(engine))
    return pool
