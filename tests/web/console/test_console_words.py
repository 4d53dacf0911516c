"""The console speaks to people: the builder's live count answers a definition still being
written (200, not an error), a refused image says its size and keeps the badge's image, a
body over the limit is a page with the form, and the audit log reads as sentences."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from PIL import Image

from app.extensions import db
from app.models import BadgeImage, BadgeVersion
from app.services.accounts.principal import Principal
from app.services.teaching import revoke_in_course
from app.web.console.words import actor_label, parse_actor

FORM = {"title": "C1 badge", "criteria": '{"all": [{"module_complete": "c1-u1-m1"}]}',
        "image_kind": "upload"}


def png(side: int = 64, noise: int = 0) -> bytes:
    """A PNG; ``noise`` bytes of a text chunk make it as large as a test needs."""
    out = io.BytesIO()
    Image.new("RGB", (side, side), (0, 90, 200)).save(out, format="PNG")
    data = out.getvalue()
    return data[:-12] + b"\x00" * noise + data[-12:] if noise else data


def test_a_complete_definition_previews_its_count(client_for: Callable[..., FlaskClient]
                                                 ) -> None:
    answer = client_for("ida").post("/console/badges/preview", json={
        "key": "p", "title": "P", "criteria": {"module_complete": "c1-u1-m1"}})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["valid"] is True and isinstance(body["would_earn"], int)


def test_an_incomplete_definition_is_an_answer_not_an_error(
        client_for: Callable[..., FlaskClient]) -> None:
    answer = client_for("ida").post("/console/badges/preview", json={
        "key": "p", "title": "P", "criteria": {"all": [{"module_complete": ""}]}})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["valid"] is False
    assert list(body["errors"]) == ["criteria.all[0].module_complete"]


def test_an_image_over_the_limit_says_its_size_and_the_badge_keeps_its_image(
        client_for: Callable[..., FlaskClient]) -> None:
    before = db.session.query(BadgeVersion).count()
    big = b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><!--' + \
        b"x" * (300 * 1024) + b"--></svg>"
    response = client_for("ida").post("/console/badges/c1b", content_type="multipart/form-data",
                                      data={**FORM, "upload": (io.BytesIO(big), "big.svg")})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The image is 300 KB; the limit is 256 KB." in page
    assert "keeps its current image" in page
    assert 'value="C1 badge"' in page  # the form as typed
    assert db.session.query(BadgeVersion).count() == before
    assert db.session.query(BadgeImage).count() == 0


def test_a_file_of_another_type_is_named_in_the_refusal(
        client_for: Callable[..., FlaskClient]) -> None:
    response = client_for("ida").post(
        "/console/badges/c1b", content_type="multipart/form-data",
        data={**FORM, "upload": (io.BytesIO(b"GIF89a" + b"\x00" * 64), "party.gif")})
    assert response.status_code == 422
    assert "“party.gif” could not be used" in response.get_data(as_text=True)


def test_a_body_over_the_request_limit_is_a_page_with_the_form(
        client_for: Callable[..., FlaskClient]) -> None:
    huge = png(noise=5 * 1024 * 1024)
    response = client_for("ida").post("/console/badges/c1b",
                                      content_type="multipart/form-data",
                                      data={**FORM, "upload": (io.BytesIO(huge), "huge.png")})
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert response.content_type.startswith("text/html")
    assert "The upload is 5.0 MB; an image may be at most 256 KB." in page
    assert 'id="badge-form"' in page and 'value="C1 badge"' in page  # the stored badge


def test_a_body_over_the_limit_from_a_stranger_shows_no_form(
        client_for: Callable[..., FlaskClient]) -> None:
    response = client_for(None).post("/console/badges/new",
                                     content_type="multipart/form-data",
                                     data={**FORM, "upload": (io.BytesIO(png(noise=5 << 20)),
                                                              "huge.png")})
    assert response.status_code in (302, 413)  # to log in, or refused unread
    assert 'id="badge-form"' not in response.get_data(as_text=True)


def test_the_audit_log_reads_as_sentences_and_its_filter_still_works(
        client_for: Callable[..., FlaskClient], world: dict[str, Any]) -> None:
    ada = world["ada"]
    revoke_in_course(Principal.user(ada.id, "admin", ada.email), "c1", world["award"],
                     "Earned by mistake")
    admin = client_for("ada")
    page = admin.get("/console/audit").get_data(as_text=True)
    assert "Revoked an award" in page and "award.revoke" not in entries(page)
    assert "ada@example.com" in page and f"admin:{ada.id}" not in page
    assert "of ann@example.com" in page
    mine = admin.get("/console/audit?actor=ada@example.com").get_data(as_text=True)
    others = admin.get("/console/audit?actor=nobody@example.com").get_data(as_text=True)
    assert "Revoked an award" in entries(mine) and "Revoked an award" not in entries(others)


def entries(page: str) -> str:
    return page.split("<tbody>", 1)[1]


def test_a_stored_actor_is_named_by_the_person() -> None:
    assert parse_actor("admin:2 ada@example.com").user_id == 2
    assert actor_label("service:4 lms-sync", {}) == "Service “lms-sync”"
    assert actor_label("catalog import", {}) == "catalog import"
    assert actor_label("instructor:7 ida@example.com", {7: "Ida Lovelace"}) == "Ida Lovelace"


def test_the_badge_list_says_each_status_in_words(client_for: Callable[..., FlaskClient]
                                                 ) -> None:
    page = client_for("ida").get("/console/badges").get_data(as_text=True)
    assert ">Draft</span>" in page and ">draft</span>" not in page
