"""Badge art: the SVG files' titles, PNG renderings for Open Badges, and baked PNGs.

The badge SVGs under ``app/web/static/badges`` are the single source of the
art and of its text alternative (each file's ``<title>``). Open Badges
consumers (backpacks, LinkedIn, baking) want PNG, so each badge is rendered
once per process with cairosvg; a baked PNG carries the award's assertion in
an ``openbadges`` iTXt chunk (``openbadges-bakery``), as Open Badges 2.0 says.
"""

from __future__ import annotations

import io
import re
from functools import cache, lru_cache
from pathlib import Path

from openbadges_bakery import bake

from app.infra.rasterize import svg_to_png

BADGE_DIR = Path(__file__).resolve().parents[2] / "web" / "static" / "badges"
SVG_TITLE = re.compile(r"<title[^>]*>([^<]+)</title>")
PNG_SIZE = 400  # pixels a side: crisp in a LinkedIn card and a backpack


@cache
def badge_titles() -> dict[str, str]:
    """Badge file stem → its SVG title (the text alternative)."""
    titles = {}
    for path in BADGE_DIR.glob("*.svg"):
        match = SVG_TITLE.search(path.read_text())
        titles[path.stem] = match.group(1) if match else path.stem.replace("-", " ")
    return titles


def badge_file(name: str) -> str:
    """An operator may configure a threshold without art: fall back to the type's badge."""
    if name in badge_titles():
        return name
    generic = name.split("-", 1)[0]
    return generic if generic in badge_titles() else "module_complete"


@lru_cache(maxsize=64)
def badge_png(name: str) -> bytes:
    """The badge's art as a square PNG (rendered once per process and stem)."""
    svg = (BADGE_DIR / f"{badge_file(name)}.svg").read_bytes()
    return svg_to_png(svg, PNG_SIZE, PNG_SIZE)


def baked_png(png: bytes, assertion_json: str) -> bytes:
    """The badge PNG with the assertion baked in (what a backpack imports)."""
    baked = bake(io.BytesIO(png), assertion_json)
    baked.seek(0)
    data: bytes = baked.read()
    baked.close()
    return data
