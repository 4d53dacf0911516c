"""An author-defined badge's own art in Open Badges: the BadgeClass and Achievement images,
the per-badge and baked PNGs, as the awarded version drew it (a design or an upload)."""

from __future__ import annotations

import io
import json

import pytest
from openbadges_bakery import unbake
from PIL import Image

from app.domain.registry import AwardDue
from app.extensions import db
from app.infra.signing import forget_active_key
from app.models import Achievement, User
from app.services.accounts.principal import Principal
from app.services.awarding.awards import insert_awards
from app.services.badges.images import upload_image
from app.services.credentials.art import badge_png
from tests.web.test_openbadges_v3 import verify_with_jwcrypto

BASE = "http://127.0.0.1:5000"
TEAL = {"design": "hexagon", "color": "#0F766E", "glyph": "book"}
RED = {"design": "circle", "color": "#b91c1c", "glyph": "bolt"}
WIDE_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
            b'<rect width="200" height="100" fill="#1d4ed8"/></svg>')


@pytest.fixture(autouse=True)
def _fresh_key() -> None:
    forget_active_key()  # a PostgreSQL database is emptied between tests: so are its keys


def authored_award(user: User, image: dict, version: int = 1,
                   key: str = "lab-lead") -> Achievement:
    """A shared award of an author-defined badge whose version drew ``image``."""
    meta = {"badge": key, "version": version, "hidden": False, "expires_after_days": None,
            "image": image}
    [stored] = insert_awards(user.id, [AwardDue(
        "badge", f"badge:{key}", "Lab lead", "Ran a lab session.", meta)], source_event_id=None)
    stored.public = True
    db.session.commit()
    return stored


def png_at(client, url: str) -> bytes:
    assert url.startswith(BASE), url
    response = client.get(url.removeprefix(BASE))
    assert response.status_code == 200 and response.mimetype == "image/png", url
    assert response.data.startswith(b"\x89PNG")
    return response.data


def pixels(png: bytes) -> tuple[tuple[int, int], bytes]:
    with Image.open(io.BytesIO(png)) as image:
        return image.size, image.convert("RGBA").tobytes()


def achievement_image(client, stored: Achievement) -> dict:
    token = client.get(f"/ob/v3/credentials/{stored.public_id}").get_data(as_text=True)
    return verify_with_jwcrypto(client, token)[1]["credentialSubject"]["achievement"]["image"]


@pytest.mark.both_databases
def test_a_designed_badge_shows_its_own_art_everywhere(client, people) -> None:
    stored = authored_award(people["ann"], TEAL)
    art = f"{BASE}/ob/v2/art/design-hexagon-0f766e-book.png"
    badge_class = client.get("/ob/v2/badges/badge:lab-lead").get_json()
    assert badge_class["image"] == art
    assert achievement_image(client, stored) == {"id": art, "type": "Image"}
    assert client.get("/ob/v3/achievements/badge:lab-lead").get_json()["image"]["id"] == art
    own = png_at(client, art)
    default = badge_png("badge")
    assert pixels(own)[0] == (400, 400) and pixels(own) != pixels(default)
    assert pixels(png_at(client, f"{BASE}/ob/v2/badges/badge:lab-lead/image")) == pixels(own)
    baked = client.get(f"/ob/v2/assertions/{stored.public_id}/image")
    assert baked.mimetype == "image/png" and pixels(baked.data) == pixels(own)
    assert json.loads(unbake(io.BytesIO(baked.data)))["id"].endswith(stored.public_id)
    page = client.get(f"/badges/{stored.public_id}").get_data(as_text=True)
    assert f'<meta property="og:image" content="{art}">' in page
    assert f'<img class="badge badge--xl" src="{art}"' in page  # the page shows it too


@pytest.mark.parametrize("kind", ["svg", "png"])
def test_an_uploaded_image_is_served_as_a_square_png(client, people, kind) -> None:
    data = WIDE_SVG
    if kind == "png":
        out = io.BytesIO()
        Image.new("RGBA", (60, 30), (29, 78, 216, 255)).save(out, format="PNG")
        data = out.getvalue()
    upload = upload_image(Principal.user(people["ada"].id, "admin", "ada@example.com"), data)
    stored = authored_award(people["ann"], {"upload": upload.id})
    art = f"{BASE}/ob/v2/art/upload-{upload.id}.png"
    assert achievement_image(client, stored)["id"] == art
    assert client.get("/ob/v2/badges/badge:lab-lead").get_json()["image"] == art
    with Image.open(io.BytesIO(png_at(client, art))) as image:  # fitted, not stretched
        assert image.size == (400, 400)
        rgba = image.convert("RGBA")
    assert rgba.getpixel((200, 200))[:3] == (29, 78, 216)
    assert rgba.getpixel((200, 10))[3] == 0  # the band above the wide image is transparent


def test_each_award_shows_the_version_it_records(client, people) -> None:
    """Version 1 drew teal, version 2 red: each credential keeps its own; the BadgeClass
    (one per badge) follows its newest shared award, as its name does."""
    old = authored_award(people["ann"], TEAL, version=1)
    new = authored_award(people["bob"], RED, version=2)
    teal_url = f"{BASE}/ob/v2/art/design-hexagon-0f766e-book.png"
    red_url = f"{BASE}/ob/v2/art/design-circle-b91c1c-bolt.png"
    assert achievement_image(client, old)["id"] == teal_url
    assert achievement_image(client, new)["id"] == red_url
    assert pixels(png_at(client, teal_url)) != pixels(png_at(client, red_url))
    assert pixels(client.get(f"/ob/v2/assertions/{old.public_id}/image").data) == \
        pixels(png_at(client, teal_url))
    assert client.get("/ob/v2/badges/badge:lab-lead").get_json()["image"] == red_url
    per_badge = client.get("/ob/v2/badges/badge:lab-lead/image")
    assert per_badge.headers["Cache-Control"] == "public, no-cache"  # it follows versions
    assert pixels(per_badge.data) == pixels(png_at(client, red_url))


def test_without_art_of_its_own_the_default_is_used(client, people) -> None:
    """Even after a later version drew art of its own, the award of a version without any
    keeps showing the default art (the per-badge PNG follows the newest version)."""
    plain = authored_award(people["ann"], {}, version=1)
    default_url = f"{BASE}/ob/v2/art/default.png"
    assert client.get("/ob/v2/badges/badge:lab-lead").get_json()["image"] == default_url
    assert pixels(png_at(client, default_url)) == pixels(badge_png("badge"))
    authored_award(people["bob"], TEAL, version=2)
    assert achievement_image(client, plain)["id"] == default_url
    assert pixels(client.get(f"/ob/v2/assertions/{plain.public_id}/image").data) == \
        pixels(badge_png("badge"))
    assert pixels(png_at(client, f"{BASE}/ob/v2/badges/badge:lab-lead/image")) != \
        pixels(badge_png("badge"))


@pytest.mark.parametrize("token", [
    "design-blob-0f766e-star", "design-circle-0f766e-skull", "design-circle-0F766E-star",
    "design-circle-0f766-star", "upload-" + "0" * 64, "upload-xyz", "badge", "..%2Fsecret"])
def test_art_tokens_that_draw_nothing_are_404(client, token) -> None:
    response = client.get(f"/ob/v2/art/{token}.png")
    assert response.status_code == 404


def test_art_is_cacheable_for_a_day(client) -> None:
    response = client.get("/ob/v2/art/design-star-123abc-heart.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
