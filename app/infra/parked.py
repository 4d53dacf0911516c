"""Client connections parked outside the web server: an idle SSE stream with no greenlet.

Under gunicorn's gevent worker an open streaming response keeps its connection's
greenlet, with the parsed request, the WSGI environ and the response writer, for as
long as the browser tab is open: ~18 KB per stream (bench/sse_fanout.py). A parked
connection is its socket and what its feed needs. The view writes the response's head
itself on a duplicate of the connection's descriptor, then ends the request the way
flask-sock ends a WebSocket under gunicorn (``StopIteration``: gunicorn closes its own
descriptor and writes nothing); the connection stays open on the duplicate.

Sends never wait: a frame goes to the kernel at once (non-blocking) and what does not
fit is kept and sent by a short greenlet when the socket is writable. A client that
leaves more than ``MAX_UNSENT`` bytes unread is cut off (its EventSource reconnects
and resumes from ``Last-Event-ID``); so is one that takes ``DRAIN_SECONDS`` to read.

Only under gunicorn's gevent worker, for plain HTTP/1.x (``detach`` answers None over
TLS or HTTP/2, whose connections carry gunicorn's own framing); elsewhere (the
development server, the test client) a response streams as any other.
"""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import Callable
from contextlib import suppress
from typing import Any, Protocol

from app.infra.greenlets import under_gevent

MAX_UNSENT = 256 * 1024
DRAIN_SECONDS = 30.0
PLAIN_HTTP = ("HTTP/1.1", "HTTP/1.0")

log = logging.getLogger(__name__)


class ParkedSocket:
    """A connection's duplicate descriptor as a non-blocking stdlib socket; with
    ``chunked`` (an HTTP/1.1 response), each ``send`` after the head is one chunk, as
    gunicorn frames a streaming response: clients that read a body chunk by chunk
    (``requests``' ``iter_lines``) see each event as it is sent."""

    __slots__ = ("_sock", "_unsent", "chunked", "closed")

    def __init__(self, fd: int, chunked: bool = False) -> None:
        from gevent import monkey

        self._sock = monkey.get_original("socket", "socket")(fileno=fd)
        self._sock.setblocking(False)
        self._unsent = b""
        self.chunked = chunked
        self.closed = False

    def start(self, head: bytes, body: bytes) -> bool:
        """The response's head as it is, then ``body`` as :meth:`send` frames it."""
        return self._queue(head + self._framed(body))

    def send(self, data: bytes) -> bool:
        """Queue ``data`` after what is still unsent; False once the connection is gone."""
        return self._queue(self._framed(data))

    def _framed(self, data: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(data), data) if self.chunked and data else data

    def _queue(self, data: bytes) -> bool:
        if self.closed:
            return False
        if self._unsent:
            if len(self._unsent) + len(data) > MAX_UNSENT:
                self.close()
                return False
            self._unsent += data
            return True
        try:
            sent = self._sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            self.close()
            return False
        if sent < len(data):
            import gevent

            self._unsent = data[sent:]
            gevent.spawn(self._drain)
        return True

    def _drain(self) -> None:
        from gevent.socket import wait_write

        while self._unsent and not self.closed:
            try:
                wait_write(self._sock.fileno(), timeout=DRAIN_SECONDS)
                sent = self._sock.send(self._unsent)
            except BlockingIOError:
                continue
            except Exception:  # a timeout (gevent raises its own) or a lost peer: the end
                self.close()
                return
            self._unsent = self._unsent[sent:]

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._unsent = b""
            with suppress(OSError):
                self._sock.close()


def detach(environ: dict[str, Any]) -> ParkedSocket | None:
    """The request's connection, duplicated for parking (chunked for HTTP/1.1); None where
    it cannot be parked."""
    sock = environ.get("gunicorn.socket")
    protocol = environ.get("SERVER_PROTOCOL")
    if sock is None or isinstance(sock, ssl.SSLSocket) or not under_gevent() \
            or protocol not in PLAIN_HTTP:
        return None
    return ParkedSocket(os.dup(sock.fileno()), chunked=protocol == "HTTP/1.1")


class Ticking(Protocol):
    def tick(self) -> None: ...


class Ticker:
    """Calls ``tick()`` on every member once each ``seconds``, from one greenlet per
    process (started with the first member): heartbeats for connections that have no
    greenlet. Members are dealt round-robin into ``SLICES`` slices, one slice ticked every
    ``seconds / SLICES``, so 10,000 heartbeats do not all go out in one stall."""

    SLICES = 10

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._slices: list[set[Ticking]] = [set() for _ in range(self.SLICES)]
        self._dealt = 0
        self._running = False

    def add(self, member: Ticking) -> None:
        self._slices[self._dealt % self.SLICES].add(member)
        self._dealt += 1
        if not self._running:
            import gevent

            self._running = True
            gevent.spawn(self._run)

    def discard(self, member: Ticking) -> None:
        for members in self._slices:
            members.discard(member)

    def __len__(self) -> int:
        return sum(len(members) for members in self._slices)

    def _run(self) -> None:
        import gevent

        turn = 0
        while True:
            gevent.sleep(self.seconds / self.SLICES)
            for member in list(self._slices[turn]):
                try:
                    member.tick()
                except Exception:  # one member's failure must not stop everyone's heartbeat
                    log.exception("a parked connection's heartbeat failed")
                    self.discard(member)
            turn = (turn + 1) % self.SLICES


_tickers: dict[tuple[int, float], Ticker] = {}


def ticker(seconds: float) -> Ticker:
    """This process's ticker for ``seconds`` (a forked worker gets its own)."""
    key = (os.getpid(), seconds)
    if key not in _tickers:
        _tickers[key] = Ticker(seconds)
    return _tickers[key]


def spawn(fn: Callable[[], Any]) -> None:
    """``fn()`` on a greenlet of its own (parked connections exist only under gevent)."""
    import gevent

    gevent.spawn(fn)
