"""Follow a learner's new awards live, resumable by award id (SSE and gRPC watch).

Pub/sub messages are used as wake-up calls; what is sent always comes from the
database, in id order, after the last id sent. So a message that arrives out
of order, twice, or not at all (Redis restarted: the hub asks for a resync)
never makes a client miss or repeat an award. Silent (backfilled) and revoked
awards are never replayed. An idle stream costs no database query: heartbeats
only tell the transport to send a keep-alive.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.achievements.awards import award_as_dict
from app.achievements.queries import awards_after
from app.extensions import db
from app.models import Achievement
from app.notify import hub
from app.notify.hub import Subscription

REPLAY_BATCH = 200


def latest_award_id(user_id: int | None) -> int:
    query = select(func.coalesce(func.max(Achievement.id), 0))
    if user_id is not None:
        query = query.where(Achievement.user_id == user_id)
    return int(db.session.scalar(query) or 0)


def follow(app: Flask, user_id: int | None, after_id: int | None, heartbeat: float,
           stopped: Callable[[], bool] = lambda: False) -> Iterator[dict[str, Any] | None]:
    """Yield award dicts newer than ``after_id`` (None: only new ones), and None as a heartbeat.

    Subscribes before reading the starting point, so an award committed in
    between is caught by the first replay rather than lost.
    """
    subscription = hub(app).subscribe(user_id)
    try:
        sent = after_id if after_id is not None else _in_app(app, latest_award_id, user_id)
        woken = True
        while not stopped():
            if woken:
                for award in replay(app, user_id, sent):
                    sent = award["id"]
                    yield award
            woken = wait_for_news(subscription, heartbeat, sent)
            if not woken:
                yield None
    finally:
        hub(app).unsubscribe(subscription)


def replay(app: Flask, user_id: int | None, after_id: int) -> Iterator[dict[str, Any]]:
    """Every live award after ``after_id`` in id order, read in batches."""
    while True:
        batch = _in_app(app, _award_dicts, user_id, after_id)
        yield from batch
        if len(batch) < REPLAY_BATCH:
            return
        after_id = batch[-1]["id"]


def wait_for_news(subscription: Subscription, heartbeat: float, sent: int) -> bool:
    """True when a message says there may be an award newer than ``sent``; False after
    ``heartbeat`` seconds of silence (messages about awards already sent are skipped)."""
    deadline = time.monotonic() + heartbeat
    while (remaining := deadline - time.monotonic()) > 0:
        message = subscription.get(timeout=remaining)
        if message is None:
            return False
        if message.get("resync") or int(message.get("id", 0)) > sent:
            return True
    return False


def _award_dicts(user_id: int | None, after_id: int) -> list[dict[str, Any]]:
    return [award_as_dict(a) for a in awards_after(user_id, after_id, limit=REPLAY_BATCH)]


def _in_app(app: Flask, fn: Callable[..., Any], *args: Any) -> Any:
    """Each read in its own app context, so no database connection is held while idle."""
    with app.app_context():
        return fn(*args)
