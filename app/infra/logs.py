"""Log lines: plain text by default, one JSON object per line with ``LOG_FORMAT=json``.

Every line carries the request id and transport of the call it was written
for (:mod:`app.infra.context`), unless the caller names another (a worker
settling many events logs each with the id of the request that recorded it),
so ``grep <request id>`` follows one progress event from its HTTP, gRPC or
xAPI call through detection to its awards and their publish.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from app.config import Config
from app.infra import context

JSON_FIELDS = "{asctime}{levelname}{name}{process}{message}"
TEXT_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s [%(request)s] %(message)s"
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"}


class RequestContext(logging.Filter):
    """Adds ``request_id`` and ``transport`` to each record that has none of its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = context.request_id.get()
        if not hasattr(record, "transport"):
            record.transport = context.transport.get()
        return True


class _TextFormatter(logging.Formatter):
    """Plain lines; ``[-]`` outside any request."""

    def format(self, record: logging.LogRecord) -> str:
        record.request = getattr(record, "request_id", None) or "-"
        return super().format(record)


# Libraries that log routine chatter at INFO: held to WARNING so a JSON log carries our
# lines (xmlschema, under pysaml2, announces each schema it loads at import).
QUIET = {"xmlschema": logging.WARNING}


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installed, so configuring again replaces it."""


def configure(settings: Config, level: str | int | None = None, *,
              install_text: bool = False) -> None:
    """Send the root logger's lines to stderr in ``settings.LOG_FORMAT``.

    JSON mode replaces the root's handlers, since one line of another shape would
    break the pipeline's parser. Text mode is installed only when asked
    (``install_text``: a process entry point) and never over handlers of others
    (pytest's, a host application's, Celery's).
    """
    for name, quiet_level in QUIET.items():
        logging.getLogger(name).setLevel(quiet_level)
    root = logging.getLogger()
    json_lines = settings.LOG_FORMAT.lower() == "json"
    if not json_lines and (not install_text
                           or any(not isinstance(h, _OurHandler) for h in root.handlers)):
        return
    handler = _OurHandler(sys.stderr)
    handler.addFilter(RequestContext())
    handler.setFormatter(JsonFormatter(JSON_FIELDS, style="{", rename_fields=RENAMED)
                         if json_lines else _TextFormatter(TEXT_FORMAT))
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level if level is not None else settings.LOG_LEVEL.upper())
