"""gunicorn -k gevent -w 1 holds many idle streams and still fans an award out to all of them.

Each stream holds no database connection while idle (the pool has 15), so
hundreds of open streams neither starve the pool nor block other requests.
"""

from __future__ import annotations

import asyncio
import re
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
