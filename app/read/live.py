"""Follow a learner's new awards and standing changes live, resumable by id (SSE, gRPC).

Pub/sub messages are used as wake-up calls; what is sent always comes from the
database, in id order, after the last id sent. So a message that arrives out
of order, twice, or not at all (Redis restarted: the hub asks for a resync)
never makes a client miss or repeat an award. Silent (backfilled) and revoked
awards are never replayed as awards; a revocation or restore comes as a standing
change of its own (app.read.standing), replayed after the last change id sent. An
idle stream costs no database query: heartbeats only tell the transport to send a
keep-alive.

A learner's own feed can trust "after the last id sent": detection holds the
learner's lock from insert to commit, so that learner's ids commit in id
order. Across learners they do not (learner A's award can take id 10 and
commit after learner B's id 11), so the all-learners feed re-reads a short
settle window below its watermark and skips ids it already sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.infra.greenlets import on_fresh_greenlet
from app.infra.metrics import record as metrics
from app.infra.pubsub import hub
from app.infra.pubsub.hub import Subscription
from app.models import Achievement
from app.read.history import awards_after
from app.read.shapes import award_as_dict
from app.read.standing import changes_after, latest_change_id

REPLAY_BATCH = 200
SETTLE_SECONDS = 5.0
"""Longest time an award id may stay uncommitted after a higher id became visible."""


@dataclass(slots=True)
class Position:
    """How far a follower got: the highest id sent and, for the all-learners feed, the
    ids sent within the settle window (so a late commit below the watermark is caught).

    Plain lists and slots: a web process keeps one per open stream, and a learner's
    feed never uses ``seen`` or ``marks`` (an empty deque alone is 624 bytes)."""

    sent: int
    settle: float = 0.0
    seen: dict[int, float] = field(default_factory=dict)
    marks: list[tuple[float, int]] = field(default_factory=list)

    def floor(self, now: float) -> int:
        """Replay from here: the lowest watermark still inside the settle window."""
        while self.marks and now - self.marks[0][0] > self.settle:
            self.marks.pop(0)
        floor = self.marks[0][1] if self.marks else self.sent
        self.seen = {i: t for i, t in self.seen.items() if i > floor}
        return floor

    def is_news(self, award_id: int) -> bool:
        return award_id not in self.seen if self.settle else award_id > self.sent

    def record(self, award_id: int, now: float) -> None:
        self.sent = max(self.sent, award_id)
        if self.settle:
            self.seen[award_id] = now


def latest_award_id(user_id: int | None) -> int:
    query = select(func.coalesce(func.max(Achievement.id), 0))
    if user_id is not None:
        query = query.where(Achievement.user_id == user_id)
    return int(db.session.scalar(query) or 0)


def _as_is(item: dict[str, Any] | None, cursor: str | None = None) -> dict[str, Any] | None:
    return item


@dataclass(frozen=True, slots=True)
class Framing:
    """How a transport wants the items: ``first`` before anything else, then each award or
    standing change (None: a heartbeat) through ``encode(item, cursor)``, ``cursor`` being
    the stream's position after it (:func:`cursor_text`). SSE passes its own, so that
    ``follow`` is the only generator between the server and the wait: one generator less
    (its frame, and an interpreter frame on the C stack) saved on every parked stream's
    greenlet."""

    encode: Callable[..., Any] = _as_is
    first: tuple[Any, ...] = ()
    via: str = "other"  # the transport, for the open-feeds gauge (app.infra.metrics)


AS_IS = Framing()


def follow(app: Flask, user_id: int | None, after_id: int | None, heartbeat: float,
           stopped: Callable[[], bool] = lambda: False, *,
           framing: Framing = AS_IS, after_change: int | None = None) -> Iterator[Any]:
    """Yield award dicts newer than ``after_id`` and standing changes (revoked, restored)
    newer than ``after_change`` (None: only new ones), and None as a heartbeat (each
    through ``framing``).

    Subscribes before reading the starting points, so an award or change committed in
    between is caught by the first replay rather than lost.
    """
    yield from framing.first
    subscription = hub(app).subscribe(user_id)
    seconds, polls = pace(app, heartbeat)
    metrics.live_feed(framing.via, +1)
    try:
        feed = Feed.start(app, user_id, after_id, after_change, framing)
        news = BOTH
        while not stopped():
            yield from feed.catch_up(news)
            news = wait_for_news(subscription, seconds, feed)
            if not news:
                news = BOTH if polls else NONE  # embedded: nothing wakes us; look
                yield framing.encode(None)
    finally:
        metrics.live_feed(framing.via, -1)
        hub(app).unsubscribe(subscription)


def pace(app: Flask, heartbeat: float) -> tuple[float, bool]:
    """How often a follower hears from itself when no message comes — the heartbeat, or
    sooner where the backend does not hear every process (embedded) — and whether it
    must then look in the database for news (``polls``)."""
    poll = hub(app).backend.poll_seconds
    return min(heartbeat, poll or heartbeat), poll is not None


@dataclass(slots=True)
class Feed:
    """A follower's positions and its two steps — what a message calls for, and what to
    send for it — so that :func:`follow` and a parked connection's
    :class:`~app.read.pushed.PushedFeed` follow a learner the same way."""

    app: Flask
    user_id: int | None
    framing: Framing
    awards: Position
    changes: Position

    @classmethod
    def start(cls, app: Flask, user_id: int | None, after_id: int | None,
              after_change: int | None, framing: Framing) -> Feed:
        """Positions read from the database: call after subscribing (see :func:`follow`)."""
        return cls(app, user_id, framing, _in_app(app, start_position, user_id, after_id),
                   _in_app(app, start_changes, user_id, after_change))

    def news_in(self, message: dict[str, Any]) -> News:
        """The feeds ``message`` says may hold something not sent yet (both on a resync)."""
        if message.get("resync"):
            return BOTH
        if _is_news(message, self.awards, self.changes):
            return CHANGES if "change" in message else AWARDS
        return NONE

    def catch_up(self, news: News) -> Iterator[Any]:
        """Every award, then every standing change, not sent yet, framed (as ``news`` asks)."""
        if news.awards:
            for award in replay(self.app, self.user_id, self.awards):
                yield self.framing.encode(award, cursor_text(self.awards, self.changes))
        if news.changes:
            for change in replay(self.app, self.user_id, self.changes, _change_dicts):
                yield self.framing.encode(change, cursor_text(self.awards, self.changes))


def cursor_text(awards: Position, changes: Position) -> str:
    """A learner's stream position as one ``Last-Event-ID``: ``<award id>`` while the
    change cursor is 0, else ``<award id>.<change id>``. "A" alone therefore means
    "no change seen yet" (change cursor 0), so resuming from it misses none."""
    return f"{awards.sent}.{changes.sent}" if changes.sent else str(awards.sent)


def parse_cursor(text: str | None) -> tuple[int, int] | None:
    """``cursor_text`` read back; None for junk (each part must fit a BIGINT)."""
    parts = (text or "").strip().split(".")
    if len(parts) > 2 or not all(p.isdigit() and len(p) < 19 for p in parts):
        return None
    return int(parts[0]), int(parts[1]) if len(parts) == 2 else 0


def start_changes(user_id: int | None, after_change: int | None) -> Position:
    """Where the standing-change feed starts; the all-learners feed re-reads a settle
    window (its changes are not serialized across learners)."""
    start = after_change if after_change is not None else latest_change_id(user_id)
    if user_id is not None:
        return Position(start)
    position = Position(start, settle=SETTLE_SECONDS)
    position.marks.append((time.monotonic(), start))
    return position


def start_position(user_id: int | None, after_id: int | None) -> Position:
    """A learner's feed starts at its watermark. The all-learners feed also looks back
    over the settle window: without ``after_id`` it marks those awards as already
    seen (only new ones are wanted); on resume it sends them again, since the client
    may have missed a late commit among them — that feed is at-least-once on resume,
    and clients drop repeats by award id."""
    start = after_id if after_id is not None else latest_award_id(user_id)
    if user_id is not None:
        return Position(start)
    position = Position(start, settle=SETTLE_SECONDS)
    now = time.monotonic()
    recent = _recent_ids(start)
    position.marks.append((now, min(recent, default=start + 1) - 1))
    if after_id is None:
        position.seen = dict.fromkeys(recent, now)
    return position


def _recent_ids(upto: int) -> list[int]:
    """Ids at or below ``upto`` earned within the settle window before award ``upto``."""
    anchor = db.session.get(Achievement, upto) if upto else None
    if anchor is None:
        return []
    since = anchor.earned_at - timedelta(seconds=SETTLE_SECONDS)
    query = select(Achievement.id).where(Achievement.id <= upto, Achievement.earned_at >= since)
    return list(db.session.scalars(query))


def replay(app: Flask, user_id: int | None, position: Position,
           load: Callable[[int | None, int], list[dict[str, Any]]] | None = None
           ) -> Iterator[dict[str, Any]]:
    """Every live award (or, with ``load``, standing change) the follower has not been
    sent yet, in id order, read in batches."""
    now = time.monotonic()
    after_id = position.floor(now)
    if position.settle:
        position.marks.append((now, position.sent))
    while True:
        batch = _in_app(app, load or _award_dicts, user_id, after_id)
        for award in batch:
            if position.is_news(award["id"]):
                position.record(award["id"], now)
                yield award
        if len(batch) < REPLAY_BATCH:
            return
        after_id = batch[-1]["id"]


@dataclass(frozen=True, slots=True)
class News:
    """Which feeds a wake-up calls for: a message names an award or a standing change, so
    only that feed is read again (an award's wake-up once cost a change read too)."""

    awards: bool
    changes: bool

    def __bool__(self) -> bool:
        return self.awards or self.changes

    def __or__(self, other: News) -> News:
        return News(self.awards or other.awards, self.changes or other.changes)


BOTH, NONE = News(True, True), News(False, False)
AWARDS, CHANGES = News(True, False), News(False, True)


def wait_for_news(subscription: Subscription, heartbeat: float, feed: Feed) -> News:
    """The feeds a message says may hold an award or standing change not sent yet (both
    on a resync); NONE after ``heartbeat`` seconds of silence (messages about ones already
    sent are skipped)."""
    deadline = time.monotonic() + heartbeat
    while (remaining := deadline - time.monotonic()) > 0:
        message = subscription.get(timeout=remaining)
        if message is None:
            return NONE
        if news := feed.news_in(message):
            return news
    return NONE


def _is_news(message: dict[str, Any], position: Position, changes: Position) -> bool:
    if "change" in message:
        return changes.is_news(int(message["change"]))
    return position.is_news(int(message.get("id", 0)))


def _award_dicts(user_id: int | None, after_id: int) -> list[dict[str, Any]]:
    return [award_as_dict(a) for a in awards_after(user_id, after_id, limit=REPLAY_BATCH)]


def _change_dicts(user_id: int | None, after_id: int) -> list[dict[str, Any]]:
    return changes_after(user_id, after_id, limit=REPLAY_BATCH)


def _in_app(app: Flask, fn: Callable[..., Any], *args: Any) -> Any:
    """Each read in its own app context, so no database connection is held while idle,
    and on a greenlet of its own: SQLAlchemy's deep calls would otherwise leave a
    parked SSE stream's greenlet holding 4 KB more of frame stack (``app.infra.greenlets``)."""
    return on_fresh_greenlet(_with_app_context, app, fn, args)


def _with_app_context(app: Flask, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    with app.app_context():
        return fn(*args)
