"""The relay: claims due notices, renders each in its learner's language, sends it,
records the outcome. Run by a Celery task after each cause commits and by beat.

The guarantee, exactly: every row is delivered **at least once** and **marked once**.
A row is ``sent`` only after the SMTP server accepted the message (or a push service
did). A worker that dies before the server's reply leaves the row ``sending`` until
its lease runs out; a later relay sends it again, with the same Message-ID. So a
duplicate can happen only when the process dies in the instant between the server's
"250 OK" and our commit of ``sent`` (one database round trip), and even then it is the
same Message-ID, which receiving systems (and Gmail) treat as one message. SMTP offers
no two-phase commit, so no sender can close that window entirely; an SMTP server that
is down or refuses for now (4xx) only delays: rows go back to wait, with backoff.
"""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import force_locale

from app.extensions import db
from app.infra.mail import PermanentMailError, mail_sender
from app.services.delivery.claims import Message, claim, finish, hold, release
from app.services.delivery.kinds import KINDS
from app.services.delivery.push import deliver_push
from app.services.delivery.reads import ClaimReads, Recipient, read_for
from app.services.delivery.rendering import email_message, language_context, message_domain
from app.services.notifications.tokens import unsubscribe_token

log = logging.getLogger(__name__)
# Rows per claim: small, so relays running side by side (one per kick, in every worker
# thread) share a backlog instead of one of them holding it all while the others idle.
BATCH = 20


def relay(max_batches: int = 250) -> int:
    """Deliver what is due; returns how many messages went out."""
    sent = 0
    domain = message_domain()
    for _ in range(max_batches):
        token, messages = claim(BATCH, domain)
        if not messages:
            break
        went, stop = _deliver_all(token, messages)
        sent += went
        if stop:
            break
    db.session.remove()
    return sent


def _deliver_all(token: str, messages: list[Message]) -> tuple[int, bool]:
    """Send each; after a transient email failure the rest of the batch's emails wait
    (the server is likely down) while pushes go on. (sent, whether to stop)."""
    sent, email_down = 0, False
    reads = read_for(messages)
    for message in messages:
        if not hold(message, token):
            log.info("notice %s left: its claim ran out before its turn", message.message_id)
            continue  # another relay may have it now; if not, it is due again (lease over)
        if email_down and message.channel == "email":
            release(message.ids, token, "the SMTP server failed earlier in this batch",
                    message.attempts)
            continue
        try:
            outcome = deliver(message, reads)
        except PermanentMailError as exc:
            db.session.rollback()
            log.warning("email %s refused for good: %s", message.message_id, exc)
            finish(message.ids, token, "failed", str(exc)[:1000])
            continue
        except Exception as exc:
            db.session.rollback()
            log.warning("notice %s not delivered, will retry: %r", message.message_id, exc)
            release(message.ids, token, repr(exc), message.attempts)
            email_down = email_down or message.channel == "email"
            continue
        finish(message.ids, token, outcome)
        sent += outcome == "sent"
    return sent, email_down


def deliver(message: Message, reads: ClaimReads) -> str:
    """Render and send one message; ``sent`` or ``skipped`` (unwanted, nothing to say)."""
    user = reads.recipients.get(message.user_id)
    if user is None:
        return "skipped"
    locale = user.locale or "en"
    with force_locale(locale):
        context = KINDS[message.kind](user, message.rows, reads)
        if context is None:
            return "skipped"
        context.update(language_context(user, locale))
        if message.channel == "push":
            return "sent" if deliver_push(user, context, message.message_id) else "skipped"
        return _email(user, context, message)


def _email(user: Recipient, context: dict, message: Message) -> str:
    settings = current_app.config["ACHIEVEMENTS_CONFIG"]
    sender = mail_sender(settings)
    if sender is None:
        return "skipped"
    url = f"{settings.PUBLIC_URL}/notifications/unsubscribe/" \
          f"{unsubscribe_token(user.id, context['category'])}"
    email = email_message(user, {**context, "unsubscribe_url": url}, message.message_id, url)
    db.session.commit()  # no transaction held while the SMTP server answers
    sender.send(email)
    log.info("email %s (%s) sent to user %s", message.message_id, message.kind,
             message.user_id)
    return "sent"
