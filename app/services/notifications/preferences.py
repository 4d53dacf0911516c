"""Which notices a learner wants: a switch per (category, channel), defaults in code.

A category groups kinds the way Settings and the unsubscribe link speak of them; one
``List-Unsubscribe`` POST turns off exactly one (category, email) switch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, select

from app.extensions import db
from app.models import NotificationSwitch

CHANNELS = ("email", "push")
CATEGORIES = ("awards", "revocations", "reminders", "digest")
CATEGORY_OF = {"award": "awards", "revoked": "revocations", "restored": "revocations",
               "expiry": "reminders", "digest": "digest"}
OFF_BY_DEFAULT = frozenset({("digest", "email"), ("digest", "push")})


def default(category: str, channel: str) -> bool:
    return (category, channel) not in OFF_BY_DEFAULT


def switches(user_id: int) -> dict[tuple[str, str], bool]:
    """Every (category, channel) of the learner, with the default where they chose nothing."""
    chosen = {(row.category, row.channel): row.enabled for row in db.session.scalars(
        select(NotificationSwitch).where(NotificationSwitch.user_id == user_id))}
    return {(category, channel): chosen.get((category, channel), default(category, channel))
            for category in CATEGORIES for channel in CHANNELS}


def wants(user_id: int, kind: str, channel: str) -> bool:
    """Whether this learner wants this kind of notice on this channel now."""
    return wanted(chosen_switches([user_id]), user_id, kind, channel)


def chosen_switches(user_ids: Sequence[int]) -> dict[tuple[int, str, str], bool]:
    """What these learners chose, one statement for all: ``(user, category, channel)`` ->
    on; a switch they never touched is absent (its default holds)."""
    if not user_ids:
        return {}
    rows = db.session.execute(select(
        NotificationSwitch.user_id, NotificationSwitch.category, NotificationSwitch.channel,
        NotificationSwitch.enabled).where(NotificationSwitch.user_id.in_(list(user_ids))))
    return {(user_id, category, channel): enabled
            for user_id, category, channel, enabled in rows}


def wanted(chosen: dict[tuple[int, str, str], bool], user_id: int, kind: str,
           channel: str) -> bool:
    """:func:`wants`, from :func:`chosen_switches` already read."""
    category = CATEGORY_OF[kind]
    return chosen.get((user_id, category, channel), default(category, channel))


def set_switch(user_id: int, category: str, channel: str, enabled: bool) -> None:
    """Record one choice (the caller commits)."""
    if category not in CATEGORIES or channel not in CHANNELS:
        raise ValueError(f"no switch {category}/{channel}")
    row = db.session.get(NotificationSwitch, (user_id, category, channel))
    if row is None:
        db.session.add(NotificationSwitch(user_id=user_id, category=category, channel=channel,
                                          enabled=enabled))
    else:
        row.enabled = enabled


def declined(user_ids: Iterable[int], category: str) -> set[tuple[int, str]]:
    """(learner, channel) pairs that turned ``category`` off (or left off a default-off one)
    among ``user_ids``: one query for a whole batch of awards."""
    ids = list(set(user_ids))
    return declined_among(db.session.execute(switches_of(ids, category)).all(), ids, category)


def switches_of(user_ids: Sequence[int], category: str) -> Select[Any]:
    """The stored ``(user_id, channel, enabled)`` switches of ``category`` for these
    learners (the notification outbox runs it in one statement with its other look-up)."""
    return (select(NotificationSwitch.user_id, NotificationSwitch.channel,
                   NotificationSwitch.enabled)
            .where(NotificationSwitch.user_id.in_(list(user_ids)),
                   NotificationSwitch.category == category))


def declined_among(rows: Iterable[Any], user_ids: Sequence[int],
                   category: str) -> set[tuple[int, str]]:
    """:func:`declined` from rows of :func:`switches_of` already read."""
    chosen = {(user_id, channel): enabled for user_id, channel, enabled in rows}
    return {(user_id, channel) for user_id in user_ids for channel in CHANNELS
            if not chosen.get((user_id, channel), default(category, channel))}
