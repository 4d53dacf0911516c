"""Writing notices: a row per cause and channel the learner can and wants to receive, email
due after its window and push at once, and a cause written twice stored once. On both
databases: PostgreSQL writes them through its own one-statement insert (app.infra.bulk)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, PushSubscription
from app.models.types import utcnow
from app.services.notifications import outbox
from app.services.notifications.outbox import Cause, queue
from app.services.notifications.preferences import set_switch

pytestmark = pytest.mark.both_databases


def test_one_row_per_cause_and_channel_stored_once(app, make_user, inbox) -> None:
    pushing, mailing, declining = make_user(), make_user(), make_user()
    db.session.add(PushSubscription(user_id=pushing.id, endpoint="https://push.example/1",
                                    p256dh="k", auth="a"))
    set_switch(declining.id, "revocations", "email", False)
    db.session.commit()
    now = utcnow()
    causes = [Cause(pushing.id, "revoked", "change:1", 7, "a reason"),
              Cause(mailing.id, "revoked", "change:2", 8), Cause(declining.id, "revoked",
                                                                 "change:3", 9)]
    assert queue(causes, email_delay=60, due=now) == 3
    db.session.commit()
    assert queue(causes, email_delay=60, due=now) == 0  # a redelivered cause adds nothing
    db.session.commit()
    rows = db.session.execute(select(
        Notification.user_id, Notification.channel, Notification.cause, Notification.subject_id,
        Notification.detail, Notification.status, Notification.due_at, Notification.attempts)
        .order_by(Notification.user_id, Notification.channel)).all()
    later = now + timedelta(seconds=60)
    assert [tuple(row) for row in rows] == [
        (pushing.id, "email", "change:1", 7, "a reason", "pending", later, 0),
        (pushing.id, "push", "change:1", 7, "a reason", "pending", now, 0),
        (mailing.id, "email", "change:2", 8, None, "pending", later, 0)]


def test_a_pass_s_awards_make_one_notice_per_learner_naming_them(app, make_user, inbox) -> None:
    """A detection pass over a backlog stores dozens of awards a learner: each learner gets
    one award notice (per channel) naming all of theirs, its cause the first of them."""
    from types import SimpleNamespace

    from app.services.notifications.outbox import queue_awards

    one, two = make_user(), make_user()
    stored = [SimpleNamespace(id=i, user_id=u.id) for i, u in
              [(11, one), (12, two), (13, one), (14, one), (15, two)]]
    assert queue_awards(stored) == 2
    db.session.commit()
    assert queue_awards(stored) == 0  # the same pass again (a redelivery) writes nothing
    db.session.commit()
    rows = db.session.execute(select(
        Notification.user_id, Notification.kind, Notification.cause, Notification.subject_id,
        Notification.award_ids).order_by(Notification.user_id)).all()
    assert [tuple(row) for row in rows] == [(one.id, "award", "award:11", 11, [11, 13, 14]),
                                            (two.id, "award", "award:12", 12, [12, 15])]


def _channels_written() -> list[tuple[int, str]]:
    rows = db.session.execute(select(Notification.user_id, Notification.channel)
                              .order_by(Notification.user_id, Notification.channel)).all()
    return [tuple(row) for row in rows]


def test_switches_defaults_and_subscriptions_choose_the_channels(app, make_user, inbox) -> None:
    """The digest is off by default: nothing for a learner who left it alone, a row for each
    channel turned on, and push only to a learner with a subscription."""
    alone, mailing, pushing, unsubscribed = make_user(), make_user(), make_user(), make_user()
    set_switch(mailing.id, "digest", "email", True)
    set_switch(pushing.id, "digest", "push", True)
    set_switch(unsubscribed.id, "digest", "push", True)
    db.session.add(PushSubscription(user_id=pushing.id, endpoint="https://push.example/2",
                                    p256dh="k", auth="a"))
    db.session.commit()
    causes = [Cause(user.id, "digest", f"digest:{user.id}")
              for user in (alone, mailing, pushing, unsubscribed)]
    assert queue(causes) == 2
    db.session.commit()
    assert _channels_written() == [(mailing.id, "email"), (pushing.id, "push")]


def test_without_a_mail_sender_no_email_rows(app, make_user, monkeypatch) -> None:
    """No SMTP host on a served deployment (the embedded demo prints emails instead)."""
    monkeypatch.setattr(outbox, "email_enabled", lambda: False)
    pushing, mailing = make_user(), make_user()
    db.session.add(PushSubscription(user_id=pushing.id, endpoint="https://push.example/3",
                                    p256dh="k", auth="a"))
    db.session.commit()
    assert queue([Cause(pushing.id, "revoked", "change:1", 1),
                  Cause(mailing.id, "revoked", "change:2", 2)]) == 1
    db.session.commit()
    assert _channels_written() == [(pushing.id, "push")]
