"""Every kind of email reaches a real SMTP server, multipart, in the learner's language."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import Notification
from app.services.accounts.principal import Principal
from app.services.awarding.revocation import restore_award, revoke_award
from app.services.badges.images import upload_image
from app.services.delivery.rendering import email_art
from tests.services.awarding.conftest import award, record

WHEN = datetime(2024, 5, 1, 9, tzinfo=UTC)


def parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def test_awards_of_one_act_make_one_email_with_both_parts_and_art(catalog, learner,
                                                                   inbox) -> None:
    record(learner, "module_completed", WHEN, module="c1-u1-m1")  # a module and a milestone
    [message] = inbox.wait_for(1)
    text, html = parts(message)
    earned = award(learner, "module_complete:c1-u1-m1")
    assert message["To"].addresses[0].addr_spec == learner.email
    assert message["Subject"] == "You earned 2 badges" and earned.title in text
    assert f"http://127.0.0.1:5000/achievements/{earned.id}" in text
    assert f'href="http://127.0.0.1:5000/achievements/{earned.id}"' in html
    assert f'src="cid:badge-{earned.id}"' in html and 'alt="Badge: ' in html
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert images and images[0]["Content-ID"] == f"<badge-{earned.id}>"
    with Image.open(io.BytesIO(images[0].get_payload(decode=True))) as art:
        assert art.size == (192, 192) and art.mode == "P"  # drawn art: a palette, ~4 KB
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith("<http://127.0.0.1:5000/notifications/")
    assert message["Message-ID"].endswith("@school.example>")
    [row] = db.session.scalars(select(Notification)).all()  # one notice names the act's awards
    assert (row.status, row.attempts, row.message_id) == ("sent", 1, message["Message-ID"])
    assert len(row.award_ids) == 2 and earned.id in row.award_ids
    assert row.subject_id == min(row.award_ids) and row.cause == f"award:{row.subject_id}"


def test_revocation_and_restore_are_emailed_with_the_reason(catalog, learner, inbox) -> None:
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    earned = award(learner, "module_complete:c1-u1-m1")
    revoke_award(earned.id, "copied work", "instructor:7 ida@example.com")
    restore_award(earned.id, "admin:1 ada@example.com")
    _first, revoked, restored = inbox.wait_for(3)
    assert "revoked" in revoked["Subject"] and "copied work" in parts(revoked)[0]
    assert "copied work" in parts(revoked)[1]
    assert "back" in restored["Subject"]


def test_the_email_speaks_the_learners_language(catalog, learner, inbox) -> None:
    learner.locale = "de"
    db.session.commit()
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    [message] = inbox.wait_for(1)
    assert message["Content-Language"] == "de"
    assert 'lang="de"' in parts(message)[1]
    assert "Module complete" not in parts(message)[0]  # built-in titles in German too


def test_the_links_open_the_badge_page_for_its_learner(client, catalog, learner,
                                                       inbox) -> None:
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    earned = award(learner, "module_complete:c1-u1-m1")
    revoke_award(earned.id, "copied work", "instructor:7 ida@example.com")
    client.post("/login", data={"email": learner.email, "password": "password123"})
    for message in inbox.wait_for(2):
        for line in parts(message)[0].splitlines():
            if "/achievements/" in line:
                page = client.get(line.strip().replace("http://127.0.0.1:5000", ""))
                assert page.status_code == 200


def test_a_badge_given_by_hand_is_emailed_unless_told_not_to(catalog, make_user,
                                                             inbox) -> None:
    from app.services.accounts.principal import Principal
    from app.services.badges import create_badge, publish_badge
    from app.services.badges.by_hand import Note, awardable, give

    admin = Principal(kind="admin", id=0, name="setup")
    create_badge(admin, {"key": "helper", "title": "Helper", "description": "Helped others.",
                         "criteria": {"module_complete": "c1-u1-m2"}})
    publish_badge(admin, "helper")
    told, quiet = make_user(), make_user()
    give(admin, awardable(admin, "helper"), [told.id], Note("Led the study group", None, True))
    give(admin, awardable(admin, "helper"), [quiet.id], Note(None, None, False))
    [message] = inbox.wait_for(1)
    assert message["To"].addresses[0].addr_spec == told.email
    assert "Helper" in message["Subject"]
    assert db.session.query(Notification).filter_by(user_id=quiet.id).count() == 0


def test_drawn_art_travels_as_a_palette_and_an_uploaded_picture_keeps_its_colours(app) -> None:
    photo = Image.new("RGB", (64, 64))
    photo.putdata([(x * 4, y * 4, (x * y) % 256) for y in range(64) for x in range(64)])
    data = io.BytesIO()
    photo.save(data, format="PNG")
    upload = upload_image(Principal(kind="admin", id=0, name="test"), data.getvalue())
    with Image.open(io.BytesIO(email_art("module_complete", "null"))) as drawn:
        assert drawn.mode == "P" and drawn.size == (192, 192)
    picture = email_art("badge", json.dumps({"upload": upload.id}))
    with Image.open(io.BytesIO(picture)) as uploaded:
        assert uploaded.mode == "RGBA" and uploaded.size == (192, 192)
        assert len(uploaded.getcolors(192 * 192) or []) > 256


def test_an_email_lists_ten_awards_and_counts_the_rest(catalog, learner, inbox) -> None:
    """A pass that stores dozens of a learner's awards (a backlog's first pass): the email
    lists ten, counts the others and links to them all, in one notice."""
    from app.domain.registry import AwardDue
    from app.services.awarding.awards import store_awards
    from app.services.delivery.relay import relay

    due = [AwardDue("badge", f"badge:extra-{n}", f"Extra badge {n:02d}", "Given by hand")
           for n in range(13)]
    store_awards({learner.id: due}, source_event_id=None)
    db.session.commit()
    relay()
    [message] = inbox.wait_for(1)
    text, html = parts(message)
    assert message["Subject"] == "You earned 13 badges"
    assert text.count("Extra badge") == 10 and "Extra badge 09" in text
    assert "And 3 more: see all your badges\r\n  http://127.0.0.1:5000/achievements\r\n" in text
    assert html.count("See your badge") == 10
    assert 'href="http://127.0.0.1:5000/achievements"' in html
    assert len([p for p in message.walk() if p.get_content_type() == "image/png"]) == 5
