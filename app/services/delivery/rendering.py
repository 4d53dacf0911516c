"""Templates to messages: an email (plain text + HTML with the badge art inline), or a
push payload, rendered in the worker in the recipient's language.

Badge art travels inline (``cid:``) with alt text: it shows in clients that block remote
images, and the alt text speaks where images are off altogether.
"""

from __future__ import annotations

import io
import json
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from flask import current_app
from jinja2 import Environment, FileSystemLoader
from PIL import Image

from app.models import User
from app.models.types import utcnow
from app.services.credentials.own_art import art_png

TEMPLATES = Path(__file__).resolve().parent / "templates" / "email"
ART_PIXELS = 192  # shown at 96 px: sharp on a 2x screen, a few KB instead of the 400 px PNG
_envs: dict[int, Environment] = {}


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


def language_context(user: User, locale: str) -> dict[str, Any]:
    parsed = Locale.parse(locale)
    return {"name": user.display_name or user.email.split("@")[0], "lang": locale,
            "direction": parsed.text_direction}


def email_message(user: User, context: dict[str, Any], message_id: str,
                  unsubscribe_url: str) -> EmailMessage:
    """The whole email: headers (RFC 8058 one-click unsubscribe), both parts, the art."""
    subject, text, html = render_parts(context["kind"], context)
    settings = current_app.config["ACHIEVEMENTS_CONFIG"]
    message = EmailMessage()
    message["From"] = settings.MAIL_FROM
    message["To"] = formataddr((user.display_name or "", user.email))
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    _attach_art(message, context)
    message["Content-Language"] = context["lang"]  # after the parts: set_content drops it
    return message


def _attach_art(message: EmailMessage, context: dict[str, Any]) -> None:
    items = context.get("awards") or ([context["award"]] if "award" in context else [])
    html = message.get_payload()[1]
    for item in items:
        if item.get("cid"):
            html.add_related(email_art(item["slug"], json.dumps(item["image"])), "image", "png",
                             cid=f"<{item['cid']}>", filename=f"{item['cid']}.png",
                             disposition="inline")


@lru_cache(maxsize=256)
def email_art(slug: str, image_json: str) -> bytes:
    """The badge art, small enough to travel inline in every email (made once per badge)."""
    with Image.open(io.BytesIO(art_png(slug, json.loads(image_json)))) as picture:
        small = picture.resize((ART_PIXELS, ART_PIXELS), Image.LANCZOS)
        out = io.BytesIO()
        small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def message_domain() -> str:
    """The domain of Message-IDs: the sender's, so they are ours alone."""
    address = parseaddr(current_app.config["ACHIEVEMENTS_CONFIG"].MAIL_FROM)[1]
    try:
        return Address(addr_spec=address).domain or "localhost"
    except (ValueError, IndexError):
        return "localhost"
