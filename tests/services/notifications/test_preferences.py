"""Settings' notification switches and the login-free one-click unsubscribe (RFC 8058)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from app.extensions import db
from app.models import Notification
from app.services.notifications.preferences import switches
from app.services.notifications.tokens import unsubscribe_token
from tests.services.awarding.conftest import record

WHEN = datetime(2024, 5, 1, 9, tzinfo=UTC)


def login(client, user) -> None:
    client.post("/login", data={"email": user.email, "password": "password123"})


def test_settings_show_and_save_the_switches(client, learner) -> None:
    login(client, learner)
    page = client.get("/settings").get_data(as_text=True)
    assert 'id="notifications"' in page and 'name="awards.email"' in page
    assert re.search(r'name="awards\.email"[^>]*checked', page)
    assert not re.search(r'name="digest\.email"[^>]*checked', page)
    answer = client.post("/settings/notifications", data={"digest.email": "on"})
    assert answer.status_code == 302
    chosen = switches(learner.id)
    assert chosen["digest", "email"] and not chosen["awards", "email"]


def test_one_click_unsubscribe_changes_only_its_switch(app, client, catalog, learner,
                                                       inbox) -> None:
    app.config["WTF_CSRF_ENABLED"] = True  # the one-click POST carries no CSRF token
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    [message] = inbox.wait_for(1)
    url = message["List-Unsubscribe"].strip("<>").replace("http://127.0.0.1:5000", "")
    confirm = client.get(url)
    assert confirm.status_code == 200 and switches(learner.id)["awards", "email"]
    done = client.post(url, data={"List-Unsubscribe": "One-Click"})  # no session, no CSRF
    assert done.status_code == 200
    after = switches(learner.id)
    assert not after["awards", "email"]
    assert after["revocations", "email"] and after["reminders", "email"]


def test_a_switched_off_kind_is_not_written_or_sent(catalog, learner, inbox) -> None:
    from app.services.notifications.preferences import set_switch
    set_switch(learner.id, "awards", "email", False)
    db.session.commit()
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    assert db.session.query(Notification).count() == 0 and inbox.messages == []


def test_a_forged_or_foreign_token_changes_nothing(client, learner) -> None:
    assert client.post("/notifications/unsubscribe/not-a-token").status_code == 404
    good = unsubscribe_token(learner.id, "awards")
    assert client.post(f"/notifications/unsubscribe/{good}x").status_code == 404
    assert switches(learner.id)["awards", "email"]
