"""Badge images: a malicious SVG is served harmless, limits hold, designs draw, CSRF guards
every console form."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image

from app.extensions import db
from app.models import BadgeImage, BadgeVersion
from tests.conftest import embedded_config

EVIL = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="64" height="64" onload="alert(1)">
  <script>alert(document.cookie)</script>
  <image href="https://evil.example/x.png" width="10" height="10"/>
  <a xlink:href="javascript:alert(2)"><circle cx="32" cy="32" r="30" fill="#f00"
     onclick="alert(3)" style="fill:url(https://evil.example/p)"/></a>
  <use xlink:href="https://evil.example/sprite.svg#x"/>
  <rect width="10" height="10" fill="url(https://evil.example/g)"/>
  <foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" src="https://evil.example"/></foreignObject>
  <path d="M0 0 L10 10" fill="#00f"/>
</svg>"""
FORM = {"title": "Pic", "criteria": '{"module_complete": "c1-u1-m1"}', "image_kind": "upload"}


def upload(client: FlaskClient, data: bytes, name: str, key: str = "pic") -> Any:
    return client.post("/console/badges/new", content_type="multipart/form-data",
                       data={**FORM, "key": key, "upload": (io.BytesIO(data), name)})


def test_a_malicious_svg_is_served_harmless(client_for: Callable[..., FlaskClient]) -> None:
    response = upload(client_for("ida"), EVIL, "evil.svg")
    assert response.status_code == 302
    image = db.session.query(BadgeImage).one()
    served = client_for("ann").get(f"/art/uploads/{image.id}")
    body = served.get_data(as_text=True)
    assert served.content_type == "image/svg+xml"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert "default-src 'none'" in served.headers["Content-Security-Policy"]
    for bad in ("script", "onload", "onclick", "evil.example", "javascript:", "foreignObject",
                "iframe", "style=", "<image"):
        assert bad not in body, bad
    assert re.search(r"<(\w+:)?path [^>]*d=\"M0 0 L10 10\"", body)  # the drawing stays
    version = db.session.query(BadgeVersion).filter_by(title="Pic").one()
    assert version.image == {"upload": image.id}


@pytest.mark.parametrize("data, name", [
    (b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">&x;</svg>', "xxe.svg"),  # noqa: E501
    (b'<svg xmlns="http://www.w3.org/2000/svg" width="5000" height="64"/>', "wide.svg"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "sizeless.svg"),
    (b"<html><script>alert(1)</script></html>", "page.svg"),
    (b"\x89PNG\r\n\x1a\nnot really", "broken.png"),
    (b"GIF89a....", "anim.gif"),
])
def test_unsafe_or_unreadable_images_are_refused_and_nothing_stored(
        client_for: Callable[..., FlaskClient], data: bytes, name: str) -> None:
    response = upload(client_for("ida"), data, name)
    assert response.status_code == 422
    assert "image" in response.get_data(as_text=True)
    assert db.session.query(BadgeImage).count() == 0
    assert db.session.query(BadgeVersion).count() == 1  # the fixture's badge only


def test_a_png_is_re_encoded_and_limited(client_for: Callable[..., FlaskClient]) -> None:
    small = io.BytesIO()
    Image.new("RGBA", (128, 128), (200, 0, 0, 255)).save(small, format="PNG")
    assert upload(client_for("ida"), small.getvalue() + b"<script>trailing</script>",
                  "ok.png").status_code == 302
    image = db.session.query(BadgeImage).one()
    served = client_for(None).get(f"/art/uploads/{image.id}")
    assert served.content_type == "image/png" and b"<script>" not in served.data
    assert Image.open(io.BytesIO(served.data)).size == (128, 128)
    huge = io.BytesIO()
    Image.new("RGB", (2048, 16)).save(huge, format="PNG")
    assert upload(client_for("ida"), huge.getvalue(), "huge.png", "huge").status_code == 422


def test_an_image_over_the_size_limit_is_refused(
        client_for: Callable[..., FlaskClient]) -> None:
    padding = b"<!--" + b"x" * (260 * 1024) + b"-->"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">' + padding + b"</svg>"
    assert upload(client_for("ida"), svg, "big.svg").status_code in (413, 422)
    assert db.session.query(BadgeImage).count() == 0


def test_a_built_in_design_draws_and_unknown_ones_are_404(client: FlaskClient) -> None:
    drawn = client.get("/art/designs/hexagon.svg?color=0f766e&glyph=trophy")
    assert drawn.status_code == 200 and drawn.content_type == "image/svg+xml"
    assert b'fill="#0f766e"' in drawn.data
    for bad in ("/art/designs/blob.svg?color=0f766e&glyph=star",
                "/art/designs/star.svg?color=red&glyph=star",
                "/art/designs/star.svg?color=0f766e&glyph=%3Cscript%3E"):
        assert client.get(bad).status_code == 404


def test_the_design_of_a_badge_is_its_awards_art(client_for: Callable[..., FlaskClient]) -> None:
    form = {**FORM, "key": "drawn", "image_kind": "design", "design": "star",
            "color": "#aa0000", "glyph": "bolt"}
    assert client_for("ida").post("/console/badges/new", data=form).status_code == 302
    version = db.session.query(BadgeVersion).filter_by(title="Pic").one()
    assert version.image == {"design": "star", "color": "#aa0000", "glyph": "bolt"}


def test_every_console_form_needs_its_csrf_token(tmp_path: Path) -> None:
    from app import create_app
    from tests.web.conftest import login_with_csrf

    app = create_app(embedded_config(tmp_path))
    with app.app_context():
        db.create_all()
        from app.services.accounts import create_user
        admin = create_user("root@example.com", "password123", "admin", "UTC")
    client = app.test_client()
    token = login_with_csrf(client, admin)
    assert client.post("/console/badges/new", data=FORM).status_code == 400
    assert client.post("/console/badges/preview", json={}).status_code == 400
    with_token = client.post("/console/badges/preview", json={},
                             headers={"X-CSRFToken": token})
    assert with_token.status_code == 200 and with_token.get_json()["valid"] is False
    for page in ("/console/badges/new",):
        html = client.get(page).get_data(as_text=True)
        assert html.count('name="csrf_token"') == html.count("<form method=\"post\"")
