"""The message catalogs on disk: which locales ship, and their compiled ``.mo`` files.

The ``.po`` files (``app/translations/<locale>/LC_MESSAGES/messages.po``) are the
source; the ``.mo`` files Flask-Babel reads are built from them when the app starts
(``compile_catalogs``), so a fresh clone never runs with missing or stale ones.
A language ships once its ``.po`` exists: no list to keep in step.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache, lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

TRANSLATIONS_DIR = Path(__file__).resolve().parents[1] / "translations"
TEMPLATE = TRANSLATIONS_DIR / "messages.pot"
DEFAULT_LOCALE = "en"


def catalog_path(locale: str) -> Path:
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"


def shipped_locales() -> list[str]:
    """English (the message ids themselves) first, then every locale with a catalog."""
    return list(_catalog_locales())


@lru_cache(maxsize=1024)
def best_shipped_locale(header: str) -> str | None:
    """The shipped locale that best matches an ``Accept-Language`` value or a single tag.

    Kept per header value (at most 1,024): browsers and services send few distinct ones,
    and parsing each again was a tenth of a gRPC call (pages and gRPC both ask here).
    Invalidation: none; the answer depends only on the value and on the locales of this
    process (fixed, see below)."""
    return parse_accept_header(header, LanguageAccept).best_match(_catalog_locales())


@cache
def _catalog_locales() -> tuple[str, ...]:
    """The locales found once per process: every page and gRPC call negotiates its language
    against them, and globbing the folder each time was a third of a GetSummary call.
    Invalidation: none while the process runs; the catalogs ship with the code, so a
    catalog added (``flask translations add``) serves from the next start."""
    found = sorted(p.parent.parent.name for p in TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po"))
    return (DEFAULT_LOCALE, *(code for code in found if code != DEFAULT_LOCALE))


def compile_catalogs(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Write each ``.mo`` older than its ``.po``; returns the ones written.

    Written to a temporary file and renamed, so processes starting together never
    read half a catalog.
    """
    written = []
    for po in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        fd, tmp = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as target:
            write_mo(target, catalog)
        os.replace(tmp, mo)
        written.append(mo)
    return written
