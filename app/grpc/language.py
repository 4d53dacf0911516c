"""The language a gRPC call reads: its request's ``locale``, else ``accept-language``
metadata, else English (the same choice REST makes from ``Accept-Language``)."""

from __future__ import annotations

from typing import Any

import grpc

from app.infra.translations import DEFAULT_LOCALE, best_shipped_locale


def call_locale(request: Any, context: grpc.ServicerContext) -> str:
    tag = getattr(request, "locale", "")
    if tag and (chosen := best_shipped_locale(tag)):
        return chosen
    metadata = dict(context.invocation_metadata() or ())
    return best_shipped_locale(str(metadata.get("accept-language", ""))) or DEFAULT_LOCALE
