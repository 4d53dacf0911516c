"""Built-in badge designs: a shape, a colour and a glyph, drawn as one small SVG.

An author-defined badge's ``image`` is either a design
``{"design": "shield", "color": "#0f766e", "glyph": "star"}`` or an uploaded file
``{"upload": "<sha256 hex>"}`` (stored and sanitized by the services), or empty
(the default ``badge.svg``). Pure: the same image always draws the same bytes.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape

SHAPES = {
    "circle": '<circle cx="32" cy="32" r="28" fill="{c}"/>',
    "shield": '<path d="M32 6 L53 14 V31 C53 44 44 53 32 58 C20 53 11 44 11 31 V14 Z" '
              'fill="{c}"/>',
    "hexagon": '<path d="M32 4 L56 18 V46 L32 60 L8 46 V18 Z" fill="{c}"/>',
    "star": '<path d="M32 3 L39.6 22.6 L60.5 23.5 L44.2 36.6 L49.9 56.9 L32 45.2 L14.1 56.9 '
            'L19.8 36.6 L3.5 23.5 L24.4 22.6 Z" fill="{c}"/>',
    "ribbon": '<path d="M22 40 L14 60 L24 55 L29 62 L32 44 Z M42 40 L50 60 L40 55 L35 62 '
              'L32 44 Z" fill="{c}" opacity=".8"/><circle cx="32" cy="26" r="22" fill="{c}"/>',
}
GLYPHS = {
    "star": "M32 19 L35.5 27.2 L44.4 28 L37.7 33.9 L39.7 42.6 L32 38 L24.3 42.6 L26.3 33.9 "
            "L19.6 28 L28.5 27.2 Z",
    "check": "M22 32 L29 39 L43 24 L46 27 L29 45 L19 35 Z",
    "book": "M19 22 H30 C31 22 32 23 32 24 V42 C31 41 30 40 29 40 H19 Z M45 22 H34 C33 22 32 23 "
            "32 24 V42 C33 41 34 40 35 40 H45 Z",
    "trophy": "M24 19 H40 V27 C40 32 36 35 33 36 V40 H38 V44 H26 V40 H31 V36 C28 35 24 32 24 27 Z",
    "bolt": "M35 16 L22 34 H31 L28 48 L42 29 H33 Z",
    "heart": "M32 45 C20 36 17 31 17 26 C17 21 21 18 25 18 C28 18 30 20 32 22 C34 20 36 18 39 "
             "18 C43 18 47 21 47 26 C47 31 44 36 32 45 Z",
    "flag": "M23 16 H26 V48 H23 Z M26 17 H44 L40 24 L44 31 H26 Z",
    "code": "M26 23 L29 26 L23 32 L29 38 L26 41 L17 32 Z M38 23 L47 32 L38 41 L35 38 L41 32 L35 "
            "26 Z",
}
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
UPLOAD_ID = re.compile(r"^[0-9a-f]{64}$")
DEFAULT = {"design": "shield", "color": "#0f766e", "glyph": "star"}


def draw(design: str, color: str, glyph: str, title: str = "Badge") -> str:
    """The SVG of a valid design (see :func:`image_problems`)."""
    shape = SHAPES[design].format(c=color)
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" '
            f'height="64" role="img"><title>{escape(title)}</title>{shape}'
            f'<path d="{GLYPHS[glyph]}" fill="#ffffff"/></svg>')


def image_problems(image: Any) -> dict[str, str]:
    """Problems of an ``image`` value, keyed by its path under ``image``."""
    if not isinstance(image, dict) or not image:
        return {} if image in (None, {}) else {"image": "an object"}
    if set(image) == {"upload"}:
        ok = isinstance(image["upload"], str) and UPLOAD_ID.fullmatch(image["upload"])
        return {} if ok else {"image.upload": "the id of an uploaded image"}
    problems = {f"image.{name}": "unknown field"
                for name in set(image) - {"design", "color", "glyph"}}
    if image.get("design") not in SHAPES:
        problems["image.design"] = "one of " + ", ".join(SHAPES)
    if not isinstance(image.get("color"), str) or not COLOR.fullmatch(image["color"]):
        problems["image.color"] = "a colour like #0f766e"
    if image.get("glyph") not in GLYPHS:
        problems["image.glyph"] = "one of " + ", ".join(GLYPHS)
    return problems


def image_path(image: dict[str, Any] | None) -> str | None:
    """Where a badge's own image is served (None: the default art), for pages and toasts."""
    if not image:
        return None
    if "upload" in image:
        return f"/art/uploads/{image['upload']}"
    color = image["color"].lstrip("#").lower()
    return f"/art/designs/{image['design']}.svg?color={color}&glyph={image['glyph']}"
