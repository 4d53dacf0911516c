"""Badge images authors upload: PNG or SVG, limited in size and dimensions, stored clean.

A PNG is decoded and re-encoded by Pillow (which drops any text chunks or trailing
bytes riding along); an SVG goes through :mod:`app.services.badges.svg`. Only the
result is stored, under the sha256 of its bytes, so what is served is exactly what
was checked. Built-in designs are drawn on request (``app.domain.badge_art``).
"""

from __future__ import annotations

import hashlib
import io

from PIL import Image, UnidentifiedImageError

from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import BadgeImage
from app.services.accounts.principal import Principal
from app.services.audit import actor_name
from app.services.badges.authoring import require_author
from app.services.badges.svg import MAX_SIDE, sanitize_svg

MAX_BYTES = 256 * 1024
MIN_SIDE = 16
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def upload_image(principal: Principal, data: bytes) -> BadgeImage:
    """Store an uploaded badge image (PNG or SVG) after checking and cleaning it."""
    require_author(principal)
    if not data or len(data) > MAX_BYTES:
        raise _bad(f"an image of 1 byte to {MAX_BYTES // 1024} KiB")
    clean, kind, width, height = _png(data) if data.startswith(PNG_MAGIC) else _svg(data)
    key = hashlib.sha256(clean).hexdigest()
    image = db.session.get(BadgeImage, key)
    if image is None:
        image = BadgeImage(id=key, content_type=kind, data=clean, width=width, height=height,
                           created_by=actor_name(principal))
        db.session.add(image)
        db.session.commit()
    return image


def get_image(key: str) -> BadgeImage:
    image = db.session.get(BadgeImage, key) if len(key) == 64 else None
    if image is None:
        raise NotFound(f"no image {key!r}")
    return image


def _png(data: bytes) -> tuple[bytes, str, int, int]:
    try:
        with Image.open(io.BytesIO(data)) as decoded:
            if decoded.format != "PNG":
                raise _bad("not a PNG")
            _check_side(*decoded.size)
            decoded.load()
            out = io.BytesIO()
            decoded.save(out, format="PNG", optimize=True)
            return out.getvalue(), "image/png", *decoded.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise _bad("an unreadable PNG") from exc


def _svg(data: bytes) -> tuple[bytes, str, int, int]:
    if b"<svg" not in data[:4096]:
        raise _bad("only PNG or SVG images")
    clean, width, height = sanitize_svg(data)
    _check_side(width, height)
    return clean, "image/svg+xml", width, height


def _check_side(width: int, height: int) -> None:
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise _bad(f"from {MIN_SIDE} x {MIN_SIDE} to {MAX_SIDE} x {MAX_SIDE} pixels")


def _bad(message: str) -> InvalidInput:
    return InvalidInput(f"image refused: {message}", fields={"image": [message]})
