"""Templates to messages: an email (plain text + HTML with the badge art inline), or a
push payload, rendered in the worker in the recipient's language.

Badge art travels inline (``cid:``) with alt text: it shows in clients that block remote
images, and the alt text speaks where images are off altogether.
"""

from __future__ import annotations

import io
import json
import uuid
from email import charset as charsets
from email.header import Header
from email.headerregistry import Address
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Any

from babel import Locale
from flask import current_app
from jinja2 import Environment, FileSystemLoader
from PIL import Image

from app.infra.caches.email_art import EmailArt
from app.models.types import utcnow
from app.services.credentials.own_art import art_png
from app.services.delivery.reads import Recipient

TEMPLATES = Path(__file__).resolve().parent / "templates" / "email"
ART_PIXELS = 192  # shown at 96 px: sharp on a 2x screen, a few KB instead of the 400 px PNG
_envs: dict[int, Environment] = {}
_UTF8_QP = charsets.Charset("utf-8")
_UTF8_QP.body_encoding = charsets.QP


def environment() -> Environment:
    """The app's Jinja environment (its gettext and filters) reading the email templates."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    env = _envs.get(id(app))
    if env is None:
        env = app.jinja_env.overlay(loader=FileSystemLoader(str(TEMPLATES)))
        _envs[id(app)] = env
    return env


def render_parts(kind: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of a kind, in the language active now."""
    env = environment()
    subject = " ".join(env.get_template(f"{kind}/subject.txt").render(context).split())
    context = {**context, "subject": subject}
    text = env.get_template(f"{kind}/body.txt").render(context)
    html = env.get_template(f"{kind}/body.html").render(context)
    return subject, text, html


def language_context(user: Recipient, locale: str) -> dict[str, Any]:
    parsed = Locale.parse(locale)
    return {"name": user.display_name or user.email.split("@")[0], "lang": locale,
            "direction": parsed.text_direction}


def email_message(user: Recipient, context: dict[str, Any], message_id: str,
                  unsubscribe_url: str) -> Message:
    """The whole email: headers (RFC 8058 one-click unsubscribe), both parts, the art.

    Built with the classic MIME classes rather than ``EmailMessage``: the modern policy
    parses and refolds every header and part on the way in and out, which took about
    half of the relay's time per email; the bytes on the wire are the same MIME."""
    subject, text, html = render_parts(context["kind"], context)
    settings = current_app.config["ACHIEVEMENTS_CONFIG"]
    message = MIMEMultipart("alternative", boundary=_boundary())
    message["From"] = _address(*parseaddr(settings.MAIL_FROM))
    message["To"] = _address(user.display_name or "", user.email)
    message["Subject"] = subject if subject.isascii() else Header(subject, "utf-8")  # type: ignore[assignment]
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id
    message["List-Unsubscribe"] = Verbatim(f"<{unsubscribe_url}>")  # type: ignore[assignment]
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = context["lang"]
    message.attach(_text(text, "plain"))
    message.attach(_with_art(_text(html, "html"), context))
    return message


class Verbatim:
    """A header value written unfolded: the classic generator would fold the long one-click
    URL onto a line of its own, which readers then see with a leading space."""

    def __init__(self, value: str) -> None:
        self.value = value

    def encode(self, linesep: str = "\n", maxlinelen: int | None = None) -> str:
        return self.value

    def __str__(self) -> str:
        return self.value


def _boundary() -> str:
    """A part boundary no part can contain: ``=_`` never occurs in quoted-printable (which
    writes ``=`` as ``=3D``) nor in base64, the only encodings our parts use. Without one
    the generator searches every part's text for a collision, with a regular expression
    per try: a tenth of the relay's time per email."""
    return f"=_{uuid.uuid4().hex}"


def _address(name: str, address: str) -> str:
    return formataddr((name, address), charset="utf-8")


def _text(body: str, subtype: str) -> MIMEBase:
    """A UTF-8 text part: quoted-printable keeps it readable and lines short."""
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part.set_payload(body, charset=_UTF8_QP)
    return part


def _with_art(html: MIMEBase, context: dict[str, Any]) -> MIMEBase:
    """The HTML part, inside multipart/related with each award's art when it shows any."""
    items = context.get("awards") or ([context["award"]] if "award" in context else [])
    pictures = [_picture(item) for item in items if item.get("cid")]
    if not pictures:
        return html
    related = MIMEMultipart("related", boundary=_boundary())
    related.attach(html)
    for picture in pictures:
        related.attach(picture)
    return related


def _picture(item: dict[str, Any]) -> MIMEBase:
    part = MIMENonMultipart("image", "png")
    part.set_payload(_art.base64(item["slug"], json.dumps(item["image"])))
    part["Content-Transfer-Encoding"] = "base64"
    part["Content-ID"] = f"<{item['cid']}>"
    part.add_header("Content-Disposition", "inline", filename=f"{item['cid']}.png")
    return part


def email_art(slug: str, image_json: str) -> bytes:
    """The badge art, small enough to travel inline in every email (kept by ``_art``).

    Drawn art (built-in or designed: flat colours, about a thousand with the anti-aliased
    edges) goes as a 256-colour PNG, which looks the same and is 4-5 x smaller (13-21 KB ->
    3-4 KB): a smaller email to build, send and download. An uploaded picture may be a
    photograph, which a palette would band: it keeps its colours."""
    image = json.loads(image_json)
    with Image.open(io.BytesIO(art_png(slug, image))) as picture:
        small = picture.convert("RGBA").resize((ART_PIXELS, ART_PIXELS), Image.LANCZOS)
    if not (image or {}).get("upload"):
        small = small.quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


_art = EmailArt(email_art)


def message_domain() -> str:
    """The domain of Message-IDs: the sender's, so they are ours alone."""
    address = parseaddr(current_app.config["ACHIEVEMENTS_CONFIG"].MAIL_FROM)[1]
    try:
        return Address(addr_spec=address).domain or "localhost"
    except (ValueError, IndexError):
        return "localhost"
