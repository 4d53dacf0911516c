"""A learner's live feed driven by its messages, for a connection parked without a
greenlet (``app.infra.parked``): what :func:`app.read.live.follow` does in a loop, done
on each wake-up instead.

The same :class:`~app.read.live.Feed` decides what a message calls for and what to send,
so a parked stream and a streaming one say the same things in the same order. A
message that calls for news schedules one catch-up on a short greenlet (messages that
arrive meanwhile are merged into the next one); the ticker sends the heartbeat and,
embedded, looks for news stored by another process, as ``follow`` does when it times
out. A send that fails, or a read that fails, ends the feed; the browser reconnects and
resumes from its last event id.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any, Protocol

from flask import Flask

from app.infra.metrics import record as metrics
from app.infra.parked import Ticker, spawn, ticker
from app.infra.pubsub import hub
from app.read.live import BOTH, NONE, Feed, Framing, News, pace

log = logging.getLogger(__name__)


class Sink(Protocol):
    closed: bool

    def send(self, data: bytes) -> bool: ...

    def close(self) -> None: ...


class PushedFeed:
    """A hub inbox (``user_id``, ``offer``) and a ticker member (``tick``) writing to ``sink``."""

    __slots__ = ("_app", "_feed", "_pending", "_poll", "_running", "_ticker", "sink",
                 "user_id")

    def __init__(self, app: Flask, user_id: int | None, sink: Sink, ticks: Ticker,
                 poll: bool) -> None:
        self._app = app
        self.user_id = user_id
        self.sink = sink
        self._ticker = ticks
        self._poll = poll
        self._feed: Feed | None = None
        self._pending = NONE
        self._running = False

    def offer(self, message: dict[str, Any]) -> None:
        """Called by the hub's fan-out: never blocks, never reads, never raises (a message
        it cannot read only makes it look at both feeds)."""
        if self._feed is None:
            return
        try:
            news = self._feed.news_in(message)
        except (KeyError, TypeError, ValueError):
            news = BOTH
        if news:
            self._schedule(news)

    def tick(self) -> None:
        """The heartbeat; embedded, also a look for news another process stored."""
        if self._feed is None:
            return
        if self._poll:
            self._schedule(BOTH)
        if not self.sink.send(self._feed.framing.encode(None)):
            self.end()

    def begin(self, feed: Feed) -> None:
        """Start following from ``feed``'s positions (read after ``attach``): the first
        catch-up sends everything after them, including what woke nobody meanwhile."""
        self._feed = feed
        metrics.live_feed(feed.framing.via, +1)
        self._schedule(BOTH)
        self._ticker.add(self)

    def _schedule(self, news: News) -> None:
        self._pending = self._pending | news
        if not self._running:
            self._running = True
            spawn(self._serve)

    def _serve(self) -> None:
        try:
            while self._pending and self._feed is not None and not self.sink.closed:
                news, self._pending = self._pending, NONE
                for frame in list(self._feed.catch_up(news)):
                    if not self.sink.send(frame):
                        self.end()
                        return
        except Exception:
            log.exception("a parked live feed failed; its client will reconnect")
            self.end()
        finally:
            self._running = False

    def end(self) -> None:
        """Leave the hub and the ticker, close the connection (once): :meth:`begin` undone."""
        if self._feed is None:
            return
        via, self._feed = self._feed.framing.via, None
        hub(self._app).unsubscribe(self)
        self._ticker.discard(self)
        self.sink.close()
        metrics.live_feed(via, -1)


def push_feed(app: Flask, user_id: int, after: tuple[int | None, int | None],
              heartbeat: float, framing: Framing, sink: Sink) -> None:
    """Follow ``user_id`` after ``after`` (award id, change id), writing ``framing``'s
    frames to ``sink`` (its ``first`` frames already sent by the caller). Starts on a
    greenlet of its own, once the request that parked ``sink`` has ended and given back
    its database connection (a burst of new streams would otherwise hold the pool)."""
    spawn(partial(_begin, app, user_id, after, heartbeat, framing, sink))


def _begin(app: Flask, user_id: int, after: tuple[int | None, int | None],
           heartbeat: float, framing: Framing, sink: Sink) -> None:
    seconds, polls = pace(app, heartbeat)
    pushed = PushedFeed(app, user_id, sink, ticker(seconds), polls)
    try:
        hub(app).attach(pushed)  # before the positions are read: see follow()
        feed = Feed.start(app, user_id, after[0], after[1], framing)
    except Exception:
        log.exception("starting a live stream failed; its client will reconnect")
        hub(app).unsubscribe(pushed)
        sink.close()
        return
    pushed.begin(feed)
