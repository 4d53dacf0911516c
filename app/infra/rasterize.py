"""SVG drawn as PNG (cairosvg), for Open Badges consumers and emails that want pixels.

cairosvg is imported on the first drawing, not with this module: loading cairo costs a
process ~0.3 s, and most processes (gRPC, most workers, CLI commands) never draw.
"""

from __future__ import annotations


def svg_to_png(svg: bytes, width: int, height: int | None = None) -> bytes:
    """The SVG as a PNG ``width`` pixels wide (and ``height`` high when given; else the
    drawing's own proportions). External resources are not fetched (cairosvg's
    ``unsafe=False``)."""
    import cairosvg

    png: bytes = cairosvg.svg2png(bytestring=svg, output_width=width, output_height=height)
    return png
