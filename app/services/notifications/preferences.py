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


Chosen = dict[tuple[int, str, str], bool]  # (user, category, channel) -> on, as stored


def is_on(chosen: Chosen, user_id: int, category: str, channel: str) -> bool:
    """The learner's switch for ``(category, channel)``: their choice, else the default."""
    return chosen.get((user_id, category, channel), default(category, channel))


def switches(user_id: int) -> dict[tuple[str, str], bool]:
    """Every (category, channel) of the learner, with the default where they chose nothing."""
    chosen = chosen_switches([user_id])
    return {(category, channel): is_on(chosen, user_id, category, channel)
            for category in CATEGORIES for channel in CHANNELS}


def chosen_switches(user_ids: Sequence[int]) -> Chosen:
    """What these learners chose, one statement for all; a switch they never touched is
    absent (its default holds)."""
    if not user_ids:
        return {}
    rows = db.session.execute(select(
        NotificationSwitch.user_id, NotificationSwitch.category, NotificationSwitch.channel,
        NotificationSwitch.enabled).where(NotificationSwitch.user_id.in_(list(user_ids))))
    return {(user_id, category, channel): enabled
            for user_id, category, channel, enabled in rows}


def wanted(chosen: Chosen, user_id: int, kind: str, channel: str) -> bool:
    """Whether this learner wants this kind of notice on this channel, from
    :func:`chosen_switches` already read."""
    return is_on(chosen, user_id, CATEGORY_OF[kind], channel)


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


def switches_of(user_ids: Sequence[int], category: str) -> Select[Any]:
    """The stored ``(user_id, channel, enabled)`` switches of ``category`` for these
    learners (the notification outbox runs it in one statement with its other look-up)."""
    return (select(NotificationSwitch.user_id, NotificationSwitch.channel,
                   NotificationSwitch.enabled)
            .where(NotificationSwitch.user_id.in_(list(user_ids)),
                   NotificationSwitch.category == category))


def declined_among(rows: Iterable[Any], user_ids: Sequence[int],
                   category: str) -> set[tuple[int, str]]:
    """(learner, channel) pairs among ``user_ids`` that have ``category`` off (turned off, or
    a default-off one left alone), from rows of :func:`switches_of` already read."""
    chosen = {(user_id, category, channel): enabled for user_id, channel, enabled in rows}
    return {(user_id, channel) for user_id in user_ids for channel in CHANNELS
            if not is_on(chosen, user_id, category, channel)}
