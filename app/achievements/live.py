"""Follow a learner's new awards live, resumable by award id (SSE and gRPC watch).

Pub/sub messages are used as wake-up calls; what is sent always comes from the
database, in id order, after the last id sent. So a message that arrives out
of order, twice, or not at all (Redis restarted: the hub asks for a resync)
never makes a client miss or repeat an award.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.achievements.awards import award_as_dict
from app.achievements.queries import awards_after
from app.extensions import db
from app.models import Achievement
from app.notify import hub


def latest_award_id(user_id: int | None) -> int:
    query = select(func.coalesce(func.max(Achievement.id), 0))
    if user_id is not None:
        query = query.where(Achievement.user_id == user_id)
    return int(db.session.scalar(query) or 0)


def follow(app: Flask, user_id: int | None, after_id: int | None, heartbeat: float,
           stopped: Callable[[], bool] = lambda: False) -> Iterator[dict[str, Any] | None]:
    """Yield award dicts newer than ``after_id`` (None: only new ones), and None as a heartbeat."""
    subscription = hub(app).subscribe(user_id)
    try:
        sent = after_id if after_id is not None else _in_app(app, latest_award_id, user_id)
        while not stopped():
            for award in _in_app(app, _replay, user_id, sent):
                sent = award["id"]
                yield award
            yield from _wait(subscription, heartbeat, sent)
    finally:
        hub(app).unsubscribe(subscription)


def _wait(subscription: Any, heartbeat: float, sent: int) -> Iterator[None]:
    """Block until a message says there may be something newer than ``sent``."""
    while True:
        message = subscription.get(timeout=heartbeat)
        if message is None:
            yield None
            return
        if message.get("resync") or int(message.get("id", 0)) > sent:
            return


def _replay(user_id: int | None, after_id: int) -> list[dict[str, Any]]:
    return [award_as_dict(a) for a in awards_after(user_id, after_id)]


def _in_app(app: Flask, fn: Callable[..., Any], *args: Any) -> Any:
    with app.app_context():
        return fn(*args)
