"""Which language and time zone a page speaks: Flask-Babel bound to the learner.

The locale is the learner's saved preference, else the best match of the
browser's ``Accept-Language`` among the shipped catalogs, else English.
Templates get ``_``/``gettext``/``ngettext`` (Flask-Babel installs them) plus
``html_lang`` and ``text_direction`` for ``<html lang dir>``.
"""

from __future__ import annotations

from typing import Any

from babel import Locale
from flask import Flask, Response, has_request_context, request
from flask_babel import get_locale, refresh
from flask_login import current_user

from app.extensions import babel
from app.infra.translations import (
    DEFAULT_LOCALE,
    best_shipped_locale,
    compile_catalogs,
    shipped_locales,
)
from app.web import localized


def select_locale() -> str:
    """Saved preference → ``Accept-Language`` → English."""
    if not has_request_context():
        return DEFAULT_LOCALE
    supported = shipped_locales()
    saved = getattr(current_user, "locale", None) if current_user else None
    if saved in supported:
        return saved
    return best_shipped_locale(request.headers.get("Accept-Language", "")) or DEFAULT_LOCALE


def select_timezone() -> str | None:
    if not has_request_context() or not current_user:
        return None
    return getattr(current_user, "timezone", None) or None


def text_direction() -> str:
    """``rtl`` for Arabic and other right-to-left scripts (CLDR's character order)."""
    order = Locale.parse(str(get_locale() or DEFAULT_LOCALE)).character_order
    return "rtl" if order == "right-to-left" else "ltr"


def _language_tag() -> str:
    return str(get_locale() or DEFAULT_LOCALE).replace("_", "-")


def _language_context() -> dict[str, Any]:
    return {"html_lang": _language_tag(), "text_direction": text_direction()}


def init_i18n(app: Flask) -> None:
    compile_catalogs()
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.context_processor(_language_context)
    localized.install(app)
    # Each request chooses again: an app context shared by several requests (tests, a
    # worker's long-lived context) must not keep the first request's locale.
    app.before_request(refresh)
    app.after_request(_say_language)


def _say_language(response: Response) -> Response:
    """Answers differ by ``Accept-Language``: say so to caches, and say which was chosen."""
    response.vary.add("Accept-Language")
    response.headers.setdefault("Content-Language", _language_tag())
    return response
