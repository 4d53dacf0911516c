"""SSE client fleet: one process holding many raw HTTP/1.0 streams in one asyncio loop.

``bench/sse_fanout.py`` starts several of these (one core cannot read 100,000
streams' pings in time, and one source address has only ~28k ephemeral ports:
each process binds its own 127.0.0.x). A process reads one JSON job on stdin,
opens its streams, then writes JSON lines to stdout::

    {"held": 15000, "failed": 0, "retries": 0, ...}    once, after opening
    {"n": 17, "t": 12345.678}                         an award (metadata.n) reached a probe

``t`` is ``time.monotonic()`` (CLOCK_MONOTONIC, the same clock in every process
on the machine). It exits by itself when stdin closes, its parent dies, or its
``deadline`` (seconds) passes, so a crashed benchmark leaves nothing running.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

USER_AGENT = "sse-fanout-bench"
ATTEMPTS = 3
RETRY_SECONDS = 2.0  # the ``retry:`` our stream announces


@dataclass
class Job:
    port: int
    items: list[tuple[str, str, bool]]  # (path, cookie, probe)
    source: str = "127.0.0.1"
    ready_marker: str | None = None  # wait for these bytes before counting a stream held
    concurrency: int = 256
    deadline: float = 600.0


@dataclass
class Fleet:
    job: Job
    held: int = 0
    failed: int = 0
    retries: int = 0
    errors: dict[str, int] = field(default_factory=dict)  # failed attempts by exception
    streams: list[asyncio.StreamWriter] = field(default_factory=list)
    readers: set[asyncio.Task[None]] = field(default_factory=set)

    async def open_all(self) -> None:
        gate = asyncio.Semaphore(self.job.concurrency)
        await asyncio.gather(*(self.open_one(path, cookie, probe, gate)
                               for path, cookie, probe in self.job.items))

    async def open_one(self, path: str, cookie: str, probe: bool,
                       gate: asyncio.Semaphore) -> None:
        """Like EventSource: a failed attempt is retried after ``RETRY_SECONDS``."""
        for attempt in range(ATTEMPTS):
            if attempt:
                self.retries += 1
                await asyncio.sleep(RETRY_SECONDS)
            async with gate:
                try:
                    reader, writer = await self.connect(path, cookie)
                except (TimeoutError, OSError, asyncio.IncompleteReadError,
                        asyncio.LimitOverrunError) as exc:
                    self.errors[type(exc).__name__] = self.errors.get(type(exc).__name__, 0) + 1
                    continue
            self.held += 1
            self.streams.append(writer)
            self.readers.add(asyncio.ensure_future(read_probe(reader) if probe else drain(reader)))
            return
        self.failed += 1

    async def connect(self, path: str, cookie: str) -> tuple[asyncio.StreamReader,
                                                             asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", self.job.port, local_addr=(self.job.source, 0))
        try:
            writer.write(request(path, cookie))
            await writer.drain()
            if self.job.ready_marker is not None:
                await asyncio.wait_for(reader.readuntil(self.job.ready_marker.encode()), 60)
        except BaseException:
            writer.close()
            raise
        return reader, writer


def request(path: str, cookie: str) -> bytes:
    return (f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
            f"User-Agent: {USER_AGENT}\r\nAccept: text/event-stream\r\n\r\n").encode()


async def drain(reader: asyncio.StreamReader) -> None:
    """An idle stream: read and drop its pings (cheaply: no line parsing)."""
    with suppress(OSError):
        while await reader.read(65536):
            pass


async def read_probe(reader: asyncio.StreamReader) -> None:
    """A timed stream: report when each award's ``n`` arrives (ours: metadata.n)."""
    with suppress(OSError, asyncio.IncompleteReadError, ValueError):
        while line := await reader.readline():
            if line.startswith(b"data:"):
                award = json.loads(line[5:])
                n = award.get("metadata", {}).get("n", award.get("n"))
                if n is not None:
                    say({"n": int(n), "t": time.monotonic()})


def say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def until_told_to_stop(deadline: float) -> None:
    """Stdin closed (the parent is done or gone), parent died, or the deadline passed."""
    loop = asyncio.get_running_loop()
    parent = os.getppid()
    stdin_closed = loop.run_in_executor(None, sys.stdin.read)
    while time.monotonic() < deadline and os.getppid() == parent:
        done, _ = await asyncio.wait([stdin_closed], timeout=1)
        if done:
            return


async def run(job: Job) -> None:
    fleet = Fleet(job)
    stop = asyncio.ensure_future(until_told_to_stop(time.monotonic() + job.deadline))
    opening = asyncio.ensure_future(fleet.open_all())
    started = time.monotonic()
    await asyncio.wait([opening, stop], timeout=job.deadline / 2,
                       return_when=asyncio.FIRST_COMPLETED)
    if stop.done():
        return
    opening.cancel()  # past half the deadline: report what is held by now
    say({"held": fleet.held, "failed": fleet.failed, "retries": fleet.retries,
         "errors": fleet.errors, "seconds": round(time.monotonic() - started, 1)})
    await stop
    for writer in fleet.streams:
        writer.close()


def main() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    raw = json.loads(sys.stdin.readline())
    job = Job(**{**raw, "items": [tuple(item) for item in raw["items"]]})
    with suppress(KeyboardInterrupt):
        asyncio.run(run(job))
    os._exit(0)  # do not wait for the stdin reader thread


if __name__ == "__main__":
    main()
