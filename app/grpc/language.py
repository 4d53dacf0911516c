"""The language a gRPC call reads: its request's ``locale``, else ``accept-language``
metadata, else English (the same choice REST makes from ``Accept-Language``)."""

from __future__ import annotations

from typing import Any

import grpc
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from app.infra.translations import DEFAULT_LOCALE, shipped_locales


def best_locale(header: str) -> str | None:
    """The shipped catalog that best matches an Accept-Language value or a single tag."""
    return parse_accept_header(header, LanguageAccept).best_match(shipped_locales())


def call_locale(request: Any, context: grpc.ServicerContext) -> str:
    tag = getattr(request, "locale", "")
    if tag and (chosen := best_locale(tag)):
        return chosen
    metadata = dict(context.invocation_metadata() or ())
    return best_locale(str(metadata.get("accept-language", ""))) or DEFAULT_LOCALE
