"""An author-defined badge's own art as a PNG, at a URL fixed by the art itself.

A badge definition's ``image`` (``app.domain.badge_art``) is a built-in design
``{"design", "color", "glyph"}`` or an upload ``{"upload": <sha256>}``; each award
records the one of its version. Open Badges consumers want a PNG at a URL that
answers (and baking needs one), so the art is named by a token made of exactly what
draws it (``design-shield-0f766e-star``, ``upload-<sha256>``): the URL of one
version's art never changes meaning, needs no lookup of awards, and reveals nothing
``/art/...`` does not already serve. Renderings are square, ``PNG_SIZE`` a side, like
the built-in art, and kept per process (the same token always draws the same bytes).
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from typing import Any

from PIL import Image, ImageOps

from app.domain.badge_art import draw, image_problems
from app.domain.badges import AUTHORED_ART, AUTHORED_PREFIX, art_stem
from app.errors import NotFound
from app.infra.rasterize import svg_to_png
from app.services.badges.images import get_image
from app.services.credentials.art import PNG_SIZE, badge_png
from app.services.credentials.issuer import Issuer

DEFAULT = "default"  # an author-defined badge version drawn with no art of its own
_TOKEN = re.compile(r"upload-(?P<upload>[0-9a-f]{64})\Z"
                    r"|design-(?P<design>[a-z]+)-(?P<color>[0-9a-f]{6})-(?P<glyph>[a-z]+)\Z")


def art_token(image: dict[str, Any] | None) -> str | None:
    """The token naming this art; None for no art of its own (or a value that draws none)."""
    if not image or image_problems(image):
        return None
    if "upload" in image:
        return f"upload-{image['upload']}"
    return f"design-{image['design']}-{image['color'].lstrip('#').lower()}-{image['glyph']}"


def art_url(who: Issuer, slug: str, image: dict[str, Any] | None) -> str:
    """The PNG of a badge's art as one version drew it: an author-defined badge's own, or
    the one art of authored badges without any (``DEFAULT``: not the per-badge URL, which
    follows the newest version); a built-in badge's per-badge PNG."""
    token = art_token(image)
    if token is None and slug.startswith(AUTHORED_PREFIX):
        token = DEFAULT
    if token is None:
        return who.url_for(f"/ob/v2/badges/{slug}/image")
    return who.url_for(f"/ob/v2/art/{token}.png")


def art_png(slug: str, image: dict[str, Any] | None) -> bytes:
    """The PNG ``art_url`` names, for baking and the per-badge image URL; the built-in art
    if the badge has none of its own (or its upload is gone)."""
    token = art_token(image)
    if token is not None:
        try:
            return own_png(token)
        except NotFound:
            pass
    return badge_png(art_stem(slug))


def image_of(token: str) -> dict[str, Any]:
    """The ``image`` value a token names; NotFound for anything else."""
    match = _TOKEN.match(token)
    image = None if match is None else (
        {"upload": match["upload"]} if match["upload"] else
        {"design": match["design"], "color": f"#{match['color']}", "glyph": match["glyph"]})
    if image is None or image_problems(image):
        raise NotFound(f"no badge art {token!r}")
    return image


def own_png(token: str) -> bytes:
    """The art a token names, as a square PNG; NotFound for an unknown token or upload."""
    if token == DEFAULT:
        return badge_png(AUTHORED_ART)
    image = image_of(token)
    if "upload" in image:
        stored = get_image(image["upload"])  # looked up each time: the upload must exist here
        return _upload_png(stored.id, stored.content_type, stored.data)
    return _design_png(image["design"], image["color"], image["glyph"])


@lru_cache(maxsize=64)
def _design_png(design: str, color: str, glyph: str) -> bytes:
    svg = draw(design, color, glyph, f"{design} badge with a {glyph}")
    return svg_to_png(svg.encode(), PNG_SIZE, PNG_SIZE)


@lru_cache(maxsize=32)
def _upload_png(key: str, content_type: str, data: bytes) -> bytes:
    """A stored (already sanitized) upload, fitted into the square without distortion.
    Its bytes never change under its ``key`` (their sha256), so the drawing is kept."""
    if content_type == "image/svg+xml":
        data = svg_to_png(data, PNG_SIZE)
    with Image.open(io.BytesIO(data)) as decoded:
        fitted = ImageOps.contain(decoded.convert("RGBA"), (PNG_SIZE, PNG_SIZE))
    square = Image.new("RGBA", (PNG_SIZE, PNG_SIZE), (0, 0, 0, 0))
    square.paste(fitted, ((PNG_SIZE - fitted.width) // 2, (PNG_SIZE - fitted.height) // 2))
    out = io.BytesIO()
    square.save(out, format="PNG", optimize=True)
    return out.getvalue()
