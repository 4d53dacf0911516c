"""Badge art anyone may load (learners' pages and toasts show it): the built-in designs
drawn from their query, and sanitized uploads.

Uploads are served with their own type, ``nosniff`` and a policy that runs nothing
(``default-src 'none'; sandbox``), so even opened directly an image cannot script.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from flask_babel import lazy_gettext as L_

from app.domain.badge_art import SHAPES, draw, image_problems
from app.errors import NotFound
from app.services.badges.images import get_image

bp = Blueprint("art", __name__, url_prefix="/art")
IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
CACHE = "public, max-age=86400"


def _image_policy(view):  # type: ignore[no-untyped-def]
    """Talisman's per-view options: this response's own CSP (it sets the header last)."""
    view.talisman_view_options = {"content_security_policy": IMAGE_CSP}
    return view


@bp.route("/designs/<design>.svg")
@_image_policy
def design(design: str) -> Response:
    """``/art/designs/shield.svg?color=0f766e&glyph=star``: one built-in design."""
    image = {"design": design, "color": "#" + request.args.get("color", ""),
             "glyph": request.args.get("glyph", "")}
    if design not in SHAPES or image_problems(image):
        abort(404)
    svg = draw(design, image["color"], image["glyph"], f"{design} badge with a {image['glyph']}")
    return _image(svg.encode(), "image/svg+xml")


@bp.route("/uploads/<key>")
@_image_policy
def upload(key: str) -> Response:
    try:
        image = get_image(key)
    except NotFound:
        abort(404)
    return _image(image.data, image.content_type)


def _image(data: bytes, content_type: str) -> Response:
    response = Response(data, content_type=content_type)
    response.headers["Cache-Control"] = CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# The designs' and glyphs' names in words (the form shows these; it posts the keys).
ART_WORDS = {
    "circle": L_("Circle"), "shield": L_("Shield"), "hexagon": L_("Hexagon"),
    "ribbon": L_("Ribbon"), "star": L_("Star"), "check": L_("Check mark"), "book": L_("Book"),
    "trophy": L_("Trophy"), "bolt": L_("Lightning bolt"), "heart": L_("Heart"),
    "flag": L_("Flag"), "code": L_("Code brackets"),
}


@bp.app_template_global()
def art_word(name: str) -> str:
    """A design or glyph key in the page's language (an unknown one as it is)."""
    word = ART_WORDS.get(name)
    return str(word) if word is not None else name.replace("_", " ").capitalize()
