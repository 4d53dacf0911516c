"""A parked connection's writes (app.infra.parked): what the kernel does not take at once
is kept and sent in order when the reader catches up; a reader that falls too far behind
is cut off, never waited for."""

from __future__ import annotations

import os
import socket
import threading
import time

import gevent

from app.infra.parked import MAX_UNSENT, ParkedSocket, Ticker, detach

CHUNK = b"x" * 65536


def parked_pair() -> tuple[ParkedSocket, socket.socket]:
    ours, theirs = socket.socketpair()
    parked = ParkedSocket(os.dup(ours.fileno()))
    ours.close()  # as gunicorn closes its own descriptor: the connection stays open
    return parked, theirs


def fill(parked: ParkedSocket) -> bytes:
    """Send until the kernel's buffers are full and something is kept; what was sent."""
    sent = b""
    for n in range(1000):
        piece = bytes([65 + n % 26]) * len(CHUNK)
        assert parked.send(piece)
        sent += piece
        if parked._unsent:
            return sent
    raise AssertionError("the kernel never pushed back")


def test_what_does_not_fit_is_sent_in_order_once_the_reader_reads() -> None:
    parked, theirs = parked_pair()
    sent = fill(parked) + b"tail"
    assert parked.send(b"tail")
    received = bytearray()

    def read() -> None:
        while len(received) < len(sent):
            received.extend(theirs.recv(1 << 20))

    reader = threading.Thread(target=read)
    reader.start()
    deadline = time.monotonic() + 10
    while parked._unsent and time.monotonic() < deadline:
        gevent.sleep(0.01)  # the drain greenlet runs on gevent's hub
    reader.join(10)
    assert bytes(received) == sent and not parked.closed
    parked.close()
    theirs.close()


def test_a_reader_too_far_behind_is_cut_off() -> None:
    parked, theirs = parked_pair()
    fill(parked)
    kept = 0
    while parked.send(CHUNK):
        kept += len(CHUNK)
        assert kept <= MAX_UNSENT
    assert parked.closed and not parked.send(b"more")
    assert theirs.recv(1 << 20)  # what the kernel held still arrives; then the end
    theirs.close()


def test_a_gone_reader_ends_the_sends() -> None:
    parked, theirs = parked_pair()
    theirs.close()
    assert not (parked.send(b"a") and parked.send(b"b"))  # EPIPE at once or on the next
    assert parked.closed


def test_only_gunicorn_plain_http_connections_are_parked() -> None:
    assert detach({}) is None  # the development server, the test client
    with socket.socket() as sock:
        environ = {"gunicorn.socket": sock, "SERVER_PROTOCOL": "HTTP/1.1"}
        assert detach(environ) is None  # no gevent monkey-patching in this process


class Counting:
    def __init__(self, fails: bool = False) -> None:
        self.ticks = 0
        self.fails = fails

    def tick(self) -> None:
        self.ticks += 1
        if self.fails:
            raise RuntimeError("this member's heartbeat fails")


def test_the_ticker_ticks_every_member_once_a_period_in_slices() -> None:
    ticker = Ticker(0.2)
    members = [Counting() for _ in range(25)]
    broken = Counting(fails=True)
    for member in [*members, broken]:
        ticker.add(member)
    assert len(ticker) == 26
    gevent.sleep(0.2 * 3.5)  # each slice's turn comes every period, at its own offset
    assert {member.ticks for member in members} <= {3, 4}
    assert broken.ticks == 1 and len(ticker) == 25  # dropped, the others go on
    ticker.discard(members[0])
    stopped_at, going = members[0].ticks, members[1].ticks
    gevent.sleep(0.2 * 1.5)
    assert members[0].ticks == stopped_at and members[1].ticks > going


def test_an_http_1_1_body_goes_in_chunks_after_its_head() -> None:
    ours, theirs = socket.socketpair()
    parked = ParkedSocket(os.dup(ours.fileno()), chunked=True)
    ours.close()
    assert parked.start(b"HTTP/1.1 200 OK\r\n\r\n", b": connected\n\n")
    assert parked.send(b": ping\n\n")
    theirs.settimeout(5)
    received = b""
    while not received.endswith(b": ping\n\n\r\n"):
        received += theirs.recv(4096)
    assert received == b"HTTP/1.1 200 OK\r\n\r\nd\r\n: connected\n\n\r\n8\r\n: ping\n\n\r\n"
    parked.close()
    theirs.close()
