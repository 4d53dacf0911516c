"""Delivering a notice by Web Push to every browser the learner subscribed.

The payload is small and already in the learner's language: a title (the email's
subject), a line of text and the page to open. A subscription the push service answers
404/410 for is deleted (Home Assistant's html5 notifier does the same). The push
``Topic`` is the notice's message id, so a notice pushed again after a crash replaces
its undelivered twin at the push service instead of arriving twice.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from flask import current_app
from flask_babel import ngettext
from sqlalchemy import delete, select

from app.extensions import db
from app.infra.webpush import push
from app.models import PushSubscription
from app.services.delivery.reads import Recipient
from app.services.delivery.rendering import environment

log = logging.getLogger(__name__)


class PushUnreachable(Exception):
    """No subscription took the message and some may later: try again."""


def payload(context: dict[str, Any]) -> dict[str, Any]:
    title = " ".join(environment().get_template(f"{context['kind']}/subject.txt")
                     .render(context).split())
    items = context.get("awards") or [context.get("award") or {}]
    titles = [item.get("title", "") for item in items if item]
    if context.get("more"):
        titles.append(ngettext("%(num)d more", "%(num)d more", context["more"]))
    body = ", ".join(titles)
    url = items[0].get("url") if len(items) == 1 and items[0] else None
    return {"title": title, "body": body, "url": url or f"{context['public_url']}/",
            "tag": context["kind"]}


def deliver_push(user: Recipient, context: dict[str, Any], message_id: str) -> bool:
    """Push to each of the learner's subscriptions; False when there is none left."""
    settings = current_app.config["ACHIEVEMENTS_CONFIG"]
    subscriptions = db.session.execute(select(
        PushSubscription.id, PushSubscription.endpoint, PushSubscription.p256dh,
        PushSubscription.auth).where(PushSubscription.user_id == user.id)).all()
    body = payload(context)
    db.session.commit()  # no transaction held while talking to push services
    topic = hashlib.sha256(message_id.encode()).hexdigest()[:32]
    delivered, pending, gone = 0, 0, []
    for row_id, endpoint, p256dh, auth in subscriptions:
        info = {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}
        result = push(settings, info, body, topic=topic)
        if result.gone:
            gone.append(row_id)
            log.info("push subscription %s gone (%s): deleted", row_id, result.status)
        elif result.delivered:
            delivered += 1
        else:
            pending += 1
    if gone:
        db.session.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))
        db.session.commit()
    if not delivered and pending:
        raise PushUnreachable(f"{pending} push services did not take the message")
    return delivered > 0
