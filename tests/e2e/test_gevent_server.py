"""gunicorn -k gevent -w 1 holds many idle streams and still fans an award out to all of them.

Each stream holds no database connection while idle (the pool has 15), so
hundreds of open streams neither starve the pool nor block other requests. Each
is parked (``app.infra.parked``): its head written by us, its events pushed.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from tests.e2e.conftest import DEMO_MODULES
from tests.support.web_server import WebServer

STREAMS = 400
USER_AGENT = "e2e-streams"


def session_cookie(server: WebServer, learner: dict[str, Any]) -> str:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    page = session.get(f"{server.url}/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    reply = session.post(f"{server.url}/login", allow_redirects=False, timeout=10,
                         data={"email": learner["email"], "password": learner["password"],
                               "csrf_token": token})
    assert reply.status_code == 302
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


async def open_stream(port: int, cookie: str) -> tuple[asyncio.StreamReader, Any]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((f"GET /api/v1/achievements/stream HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                  f"Cookie: {cookie}\r\nUser-Agent: {USER_AGENT}\r\n\r\n").encode())
    await writer.drain()
    await asyncio.wait_for(reader.readuntil(b": connected"), 30)
    return reader, writer


async def hold_and_award(server: WebServer, learner: dict[str, Any], cookie: str) -> list[float]:
    gate = asyncio.Semaphore(100)

    async def opened() -> tuple[asyncio.StreamReader, Any]:
        async with gate:
            return await open_stream(server.port, cookie)

    streams = await asyncio.gather(*(opened() for _ in range(STREAMS)))
    started = time.monotonic()
    login_page = await asyncio.to_thread(
        lambda: urllib.request.urlopen(f"{server.url}/login", timeout=5).status)
    assert login_page == 200 and time.monotonic() - started < 2  # the server is not starved
    started = time.monotonic()
    await asyncio.to_thread(server.complete_module, learner["id"], DEMO_MODULES[0])

    async def first_award(reader: asyncio.StreamReader) -> float:
        await asyncio.wait_for(reader.readuntil(b"event: achievement"), 10)
        return time.monotonic() - started

    try:
        return await asyncio.gather(*(first_award(reader) for reader, _ in streams))
    finally:
        for _, writer in streams:
            writer.close()


def test_many_idle_streams_all_receive_the_award(server: WebServer,
                                                 learner: dict[str, Any]) -> None:
    cookie = session_cookie(server, learner)
    # Its own thread: Playwright's sync API may already run a loop on this one.
    with ThreadPoolExecutor(1) as pool:
        delays = pool.submit(asyncio.run, hold_and_award(server, learner, cookie)).result()
    assert len(delays) == STREAMS
    assert max(delays) < 5.0


# --- a parked stream: its head, its events, its heartbeat, its end -------------------------


def read_until(sock: socket.socket, marker: bytes, seen: bytearray, timeout: float = 10) -> bytes:
    """Everything up to and including ``marker`` (the rest stays in ``seen``)."""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"stream ended before {marker!r}: {bytes(seen)!r}")
        seen.extend(chunk)
    end = seen.index(marker) + len(marker)
    found = bytes(seen[:end])
    del seen[:end]
    return found


def stream_socket(server: WebServer, cookie: str, *extra: str) -> tuple[socket.socket, bytearray]:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    lines = ["GET /api/v1/achievements/stream HTTP/1.1", "Host: 127.0.0.1",
             f"Cookie: {cookie}", f"User-Agent: {USER_AGENT}", *extra]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock, bytearray()


def live_sse(server: WebServer, token: str) -> float:
    request = urllib.request.Request(f"{server.url}/metrics",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as reply:
        text = reply.read().decode()
    found = re.search(r'^achievements_live_connections\{transport="sse"\} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def test_a_parked_stream_sends_its_head_events_and_pings_and_ends_with_its_client(
        server: WebServer, learner: dict[str, Any]) -> None:
    from app.services.accounts import create_token

    with server.app.app_context():
        metrics_token = create_token("e2e-metrics", ["metrics:read"])[1]
    cookie = session_cookie(server, learner)
    before = steady(server, metrics_token)  # earlier tests' closed streams noticed
    sock, seen = stream_socket(server, cookie)
    head = read_until(sock, b"\r\n\r\n", seen).decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, _, value in
               (line.partition(": ") for line in head[1:] if line)}
    assert head[0] == "HTTP/1.1 200 OK"
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["connection"] == "close" and headers["transfer-encoding"] == "chunked"
    assert headers["cache-control"] == "no-cache" and "content-security-policy" in headers
    assert read_until(sock, b": connected\n\n", seen).endswith(b"retry: 2000\n: connected\n\n")

    server.complete_module(learner["id"], DEMO_MODULES[0])
    read_until(sock, b"event: achievement\n", seen)
    award_id = int(read_until(sock, b"\n", seen).decode().removeprefix("id: "))
    read_until(sock, b": ping\n\n", seen, timeout=6)  # SSE_PING_SECONDS is 2 here

    again, seen_again = stream_socket(server, cookie, f"Last-Event-ID: {award_id - 1}")
    read_until(again, b"\r\n\r\n", seen_again)
    replayed = read_until(again, b"\n\n", seen_again, timeout=10)
    while b"event: achievement" not in replayed:
        replayed = read_until(again, b"\n\n", seen_again, timeout=10)
    assert f"id: {award_id}\n".encode() in replayed
    assert live_sse(server, metrics_token) == before + 2

    sock.close()
    again.close()
    deadline = time.monotonic() + 15  # a closed client is noticed at a heartbeat's send
    while live_sse(server, metrics_token) > before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert live_sse(server, metrics_token) == before


def steady(server: WebServer, token: str) -> float:
    """The open-streams gauge once it holds still for two heartbeats (SSE_PING_SECONDS 2)."""
    deadline = time.monotonic() + 20
    value = live_sse(server, token)
    while time.monotonic() < deadline:
        time.sleep(4.0)
        value, previous = live_sse(server, token), value
        if value == previous:
            return value
    raise AssertionError(f"open streams still changing after 20 s: {value}")
