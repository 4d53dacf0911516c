"""Uploaded SVG made harmless: parsed safely, then rebuilt from an allow-list.

``defusedxml`` refuses DTDs, entities and external references while parsing (no
billion laughs, no XXE). The tree is then copied keeping only drawing elements and
presentation attributes: no ``script``, no ``foreignObject``, no event handlers
(``on*``), no ``style`` (it can fetch ``url()``s), and links (``href``) or
``url(...)`` paints only to fragments inside the same file. What comes out can be
shown anywhere; it is also served with a CSP that runs nothing.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from app.errors import InvalidInput

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ELEMENTS = {"svg", "g", "path", "circle", "ellipse", "rect", "line", "polyline", "polygon",
            "text", "tspan", "title", "desc", "defs", "linearGradient", "radialGradient",
            "stop", "clipPath", "use", "symbol"}
ATTRIBUTES = {"id", "viewBox", "width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy",
              "r", "rx", "ry", "d", "points", "fill", "fill-opacity", "fill-rule", "stroke",
              "stroke-width", "stroke-opacity", "stroke-linecap", "stroke-linejoin",
              "stroke-dasharray", "opacity", "transform", "offset", "stop-color",
              "stop-opacity", "gradientUnits", "gradientTransform", "clip-path", "clip-rule",
              "font-family", "font-size", "font-weight", "text-anchor", "dominant-baseline",
              "preserveAspectRatio", "role", "aria-label", "href", "fx", "fy",
              "spreadMethod", "clipPathUnits", "dx", "dy", "letter-spacing"}
URL = re.compile(r"url\(\s*([^)]*)\)", re.I)
MAX_SIDE = 1024
_NUMBER = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(?:px)?\s*$")

ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)


def sanitize_svg(data: bytes) -> tuple[bytes, int, int]:
    """The cleaned SVG and its width and height, or InvalidInput saying why not."""
    try:
        root = SafeET.fromstring(data)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise _bad(f"not a safe SVG document ({type(exc).__name__})") from exc
    if _local(root.tag) != "svg" or _namespace(root.tag) not in ("", SVG_NS):
        raise _bad("the root element must be <svg>")
    clean = _copy(root)
    if clean is None:
        raise _bad("the root element must be <svg>")
    width, height = _size(clean)
    return ET.tostring(clean, encoding="utf-8", xml_declaration=False), width, height


def _copy(node: ET.Element) -> ET.Element | None:
    name = _local(node.tag)
    if name not in ELEMENTS or _namespace(node.tag) not in ("", SVG_NS):
        return None
    out = ET.Element(f"{{{SVG_NS}}}{name}", _attributes(node))
    out.text = node.text if name in {"text", "tspan", "title", "desc"} else None
    for child in node:
        copied = _copy(child)
        if copied is not None:
            copied.tail = child.tail if name in {"text", "tspan"} else None
            out.append(copied)
    return out


def _attributes(node: ET.Element) -> dict[str, str]:
    kept = {}
    for key, value in node.attrib.items():
        name = _local(key)
        if name not in ATTRIBUTES or _namespace(key) not in ("", XLINK_NS):
            continue
        if name == "href" and not value.strip().startswith("#"):
            continue  # a link or image outside the file
        if any(not ref.strip(" '\"").startswith("#") for ref in URL.findall(value)):
            continue
        kept["href" if name == "href" else key] = value
    return kept


def _size(svg: ET.Element) -> tuple[int, int]:
    box = (svg.get("viewBox") or "").replace(",", " ").split()
    width, height = _number(svg.get("width")), _number(svg.get("height"))
    if (width is None or height is None) and len(box) == 4:
        width, height = _number(box[2]), _number(box[3])
    if width is None or height is None:
        raise _bad("the SVG needs width and height or a viewBox")
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise _bad(f"at most {MAX_SIDE} x {MAX_SIDE}")
    return round(width), round(height)


def _number(text: str | None) -> float | None:
    match = _NUMBER.match(text or "")
    return float(match.group(1)) if match else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _bad(message: str) -> InvalidInput:
    return InvalidInput(f"image refused: {message}", fields={"image": [message]})
