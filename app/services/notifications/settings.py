"""What Settings and the unsubscribe link change: switches and push subscriptions."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import delete, select

from app.errors import InvalidInput
from app.extensions import db
from app.infra.webpush import vapid_key
from app.models import PushSubscription
from app.services.notifications.preferences import CATEGORIES, CHANNELS, set_switch, switches
from app.services.notifications.tokens import read_unsubscribe_token

__all__ = ["push_key", "save_switches", "subscribe_push", "switches", "unsubscribe",
           "unsubscribe_push"]


def save_switches(user_id: int, chosen: set[tuple[str, str]]) -> None:
    """Every switch from one Settings form: on where chosen, off elsewhere; commits."""
    for category in CATEGORIES:
        for channel in CHANNELS:
            set_switch(user_id, category, channel, (category, channel) in chosen)
    db.session.commit()


def unsubscribe(token: str, apply: bool = True) -> tuple[int, str] | None:
    """The (learner, category) a link names, its email switch turned off when ``apply``;
    None for a link we did not sign. Changes nothing else."""
    named = read_unsubscribe_token(token)
    if named is not None and apply:
        set_switch(named[0], named[1], "email", False)
        db.session.commit()
    return named


def push_key() -> str:
    """The VAPID public key browsers subscribe with (applicationServerKey)."""
    return vapid_key(current_app.config["ACHIEVEMENTS_CONFIG"])[1]


def subscribe_push(user_id: int, subscription: object) -> None:
    """Record a browser's subscription (``PushSubscription.toJSON()``); the endpoint is
    unique, so a browser subscribing again, even for another learner, replaces its row."""
    endpoint, p256dh, auth = _parsed(subscription)
    row = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if row is None:
        row = PushSubscription(endpoint=endpoint)
        db.session.add(row)
    row.user_id, row.p256dh, row.auth = user_id, p256dh, auth
    db.session.commit()


def unsubscribe_push(user_id: int, endpoint: str) -> None:
    db.session.execute(delete(PushSubscription).where(PushSubscription.user_id == user_id,
                                                      PushSubscription.endpoint == endpoint))
    db.session.commit()


def _parsed(subscription: object) -> tuple[str, str, str]:
    try:
        endpoint = subscription["endpoint"]  # type: ignore[index]
        keys = subscription["keys"]  # type: ignore[index]
        p256dh, auth = keys["p256dh"], keys["auth"]
    except (TypeError, KeyError) as exc:
        raise InvalidInput("a push subscription needs endpoint and keys.p256dh/auth") from exc
    schemes = ("https://", "http://") if current_app.config.get("TESTING") else ("https://",)
    if not isinstance(endpoint, str) or not endpoint.startswith(schemes):
        raise InvalidInput("the push endpoint must be an https URL",
                           fields={"endpoint": ["https"]})
    if not all(isinstance(v, str) and 0 < len(v) <= 200 for v in (p256dh, auth)) or \
            len(endpoint) > 1000:
        raise InvalidInput("malformed push subscription keys")
    return endpoint, p256dh, auth
