"""The relay's promises: a failing SMTP server delays and never loses or doubles; a claim
a dead worker held is sent again with its Message-ID; awards in one window make one
email; reminders and digests are written once however often the beat runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select, update

from app.extensions import db
from app.models import Notification
from app.models.types import utcnow
from app.services.delivery.claims import claim, hold
from app.services.delivery.relay import _deliver_all, relay
from app.services.delivery.reminders import queue_due
from app.services.notifications import outbox
from app.services.notifications.preferences import set_switch
from tests.services.awarding.conftest import award, record
from tests.services.notifications.conftest import free_port

WHEN = datetime(2024, 5, 1, 9, tzinfo=UTC)


def make_due() -> None:
    db.session.execute(update(Notification).values(due_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def queue_unsent(app, learner) -> None:
    """An award whose email (and push) notice is due but unsent: the relay that ran after
    the award found no SMTP server listening."""
    settings = app.config["ACHIEVEMENTS_CONFIG"]
    port, settings.SMTP_PORT = settings.SMTP_PORT, free_port()
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    settings.SMTP_PORT = port
    make_due()


def statuses() -> list[str]:
    return list(db.session.scalars(select(Notification.status).order_by(Notification.id)))


def test_smtp_down_then_up_sends_each_email_once(app, catalog, learner, inbox) -> None:
    settings = app.config["ACHIEVEMENTS_CONFIG"]
    port, settings.SMTP_PORT = settings.SMTP_PORT, free_port()  # nothing listens there
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    rows = db.session.scalars(select(Notification)).all()
    assert [r.status for r in rows] == ["pending"] and rows[0].last_error
    assert rows[0].due_at > utcnow()  # waits out a backoff, not retried in a loop
    settings.SMTP_PORT = port
    make_due()
    assert relay() == 1 and relay() == 0
    make_due()
    assert relay() == 0
    assert len(inbox.wait_for(1)) == 1 and statuses() == ["sent"]


def test_a_claim_held_by_a_dead_worker_is_sent_again_with_its_message_id(
        app, catalog, learner, inbox) -> None:
    queue_unsent(app, learner)
    _, [held] = claim(10, "school.example")  # ...and the worker dies before sending
    assert relay() == 0  # its lease still runs: nobody else sends it
    db.session.execute(update(Notification).values(lease_until=utcnow() - timedelta(1)))
    db.session.commit()
    assert relay() == 1
    [message] = inbox.wait_for(1)
    assert message["Message-ID"] == held.message_id
    assert db.session.scalar(select(Notification.attempts)) == 3


def test_a_relay_whose_claim_ran_out_before_its_turn_does_not_send_it_again(
        app, catalog, learner, inbox) -> None:
    queue_unsent(app, learner)
    slow_token, slow = claim(10, "school.example")  # a relay still busy with earlier mail...
    db.session.execute(update(Notification).values(lease_until=utcnow() - timedelta(1)))
    db.session.commit()
    for message in slow:
        message.lease_until = utcnow() - timedelta(1)  # its clock says so too
    assert relay() == 1  # ...while its lease ran out and another relay took the email
    assert _deliver_all(slow_token, slow) == (0, False)
    assert len(inbox.wait_for(1)) == 1 and statuses() == ["sent"]


def test_a_claim_past_half_its_lease_is_renewed_before_sending(app, catalog, learner,
                                                                inbox) -> None:
    queue_unsent(app, learner)
    token, [message, *_] = claim(10, "school.example")
    message.lease_until = utcnow() + timedelta(seconds=1)  # most of its 90 s went
    assert hold(message, token)
    lease = app.config["ACHIEVEMENTS_CONFIG"].NOTIFY_LEASE_SECONDS
    held = db.session.scalars(select(Notification.lease_until).where(
        Notification.id.in_(message.ids))).all()
    assert all(until > utcnow() + timedelta(seconds=lease - 5) for until in held)


def test_awards_within_the_window_make_one_email(monkeypatch, catalog, learner,
                                                 inbox) -> None:
    monkeypatch.setattr(outbox, "coalesce_seconds", lambda: 120.0)
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    record(learner, "module_completed", WHEN, module="c1-u1-m2")
    assert relay() == 0  # the window is still open
    first = db.session.scalar(select(Notification.id).order_by(Notification.id))
    db.session.execute(update(Notification).where(Notification.id == first)
                       .values(due_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert relay() == 1
    [message] = inbox.wait_for(1)
    assert message["Subject"].startswith("You earned") and len(set(statuses())) == 1


def test_an_award_revoked_before_its_email_left_is_not_emailed(monkeypatch, catalog, learner,
                                                               inbox) -> None:
    from app.services.awarding.revocation import revoke_awards
    monkeypatch.setattr(outbox, "coalesce_seconds", lambda: 120.0)
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    revoke_awards([award(learner, "module_complete:c1-u1-m1").id,
                   award(learner, "milestone:modules:1").id], "mistake", "admin")
    make_due()
    relay()
    kinds = [m["Subject"] for m in inbox.wait_for(2)]
    assert len(kinds) == 2 and all("revoked" in k for k in kinds)
    assert statuses().count("skipped") == 1  # the act's award notice: nothing left to say


@pytest.mark.parametrize(("days_later", "days_left"), [(0, 30), (23, 7), (29, 1), (30, 0)])
def test_expiry_reminders_are_written_once(app, catalog, learner, inbox, days_later,
                                           days_left) -> None:
    app.config["ACHIEVEMENTS_CONFIG"].RULES = {"module_complete": {"valid_days": 30}}
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    inbox.wait_for(1)
    # Earned at noon: the day's own reminder is due for the UTC day of expiry, so an award
    # earned in a day's last hour would have "+ 1 hour" cross into the next day's window.
    earned = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    award(learner, "module_complete:c1-u1-m1").earned_at = earned
    db.session.commit()
    now = earned + timedelta(days=days_later, hours=1)
    assert queue_due(now) == 1 and queue_due(now) == 0
    relay()
    reminder = inbox.wait_for(2)[1]
    assert ("today" if days_left == 0 else f"in {days_left} day") in reminder["Subject"]


def test_the_weekly_digest_goes_to_those_who_asked(catalog, learner, inbox) -> None:
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    inbox.wait_for(1)
    set_switch(learner.id, "digest", "email", True)
    db.session.commit()
    assert queue_due() == 1 and queue_due() == 0
    relay()
    digest = inbox.wait_for(2)[1]
    assert digest["Subject"] == "Your week in badges"
    assert "Module complete" in digest.get_body(("plain",)).get_content()


def test_the_sweep_wakes_the_relay_for_a_claim_a_dead_worker_held(app, catalog, learner,
                                                                  inbox) -> None:
    from app.services.notifications.outbox import requeue_stuck
    queue_unsent(app, learner)
    claim(10, "school.example")
    assert requeue_stuck(60) == 0  # its lease still runs
    db.session.execute(update(Notification).values(lease_until=utcnow() - timedelta(1)))
    db.session.commit()
    assert requeue_stuck(60) == 1  # (eager here: the relay it wakes runs at once)
    assert len(inbox.wait_for(1)) == 1 and statuses() == ["sent"]


def test_the_digest_names_next_milestones_in_the_learners_language(catalog, learner,
                                                                   inbox) -> None:
    from app.read.summary import learner_summary
    from app.read.wording import localize_milestone
    learner.locale, learner_id = "de", learner.id
    db.session.commit()
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    inbox.wait_for(1)
    set_switch(learner_id, "digest", "email", True)
    db.session.commit()
    queue_due()
    relay()
    text = inbox.wait_for(2)[1].get_body(("plain",)).get_content()
    upcoming = learner_summary(learner_id)["next_milestones"][:3]
    german = [localize_milestone(m, "de")["title"] for m in upcoming]
    assert upcoming and german != [m["title"] for m in upcoming]
    assert all(title in text for title in german)
    assert not any(m["title"] in text for m in upcoming if m["type"] != "badge")


def _selects_while(action: Callable[[], object]) -> int:
    """How many SELECT statements ``action`` ran."""
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    return sum(s.lstrip().upper().startswith("SELECT") for s in statements)


def test_a_claims_reads_do_not_grow_with_its_messages(app, catalog, make_user, inbox) -> None:
    """Recipients, awards and switches are read once per claim (app.services.delivery.reads),
    not once per message: the claim of one learner's email and of five reads alike."""
    settings = app.config["ACHIEVEMENTS_CONFIG"]
    port, settings.SMTP_PORT = settings.SMTP_PORT, free_port()  # emails wait, unsent
    learners = [make_user() for _ in range(6)]
    for learner in learners:
        record(learner, "module_completed", WHEN, module="c1-u1-m1")
    settings.SMTP_PORT = port
    make_due()
    first = learners[0].id
    db.session.execute(update(Notification).where(Notification.user_id != first)
                       .values(due_at=utcnow() + timedelta(hours=1)))
    db.session.commit()
    one = _selects_while(relay)
    make_due()
    many = _selects_while(relay)
    assert len(inbox.wait_for(6)) == 6 and set(statuses()) == {"sent"}
    assert many == one


def test_an_award_notice_written_before_award_ids_still_tells_its_award(app, catalog, learner,
                                                                        inbox) -> None:
    """Rows written before migration 0019 name their one award by ``subject_id`` alone."""
    queue_unsent(app, learner)
    earned = award(learner, "module_complete:c1-u1-m1")
    earned_id, title = earned.id, earned.title
    db.session.execute(update(Notification).values(award_ids=None))
    db.session.commit()
    relay()
    [message] = inbox.wait_for(1)
    assert message["Subject"] == f"You earned a badge: {title}" and statuses() == ["sent"]
    assert f"/achievements/{earned_id}" in message.get_body(("plain",)).get_content()
