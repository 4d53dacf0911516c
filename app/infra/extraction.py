"""pybabel, driven from Python: extract the message ids, init and update catalogs.

One place knows the extraction settings (``babel.cfg``, the keywords of the
domain's no-op markers), so the CLI (``flask translations``) and the test that
the template catalog is current run exactly the same extraction.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface

from app.infra.translations import TEMPLATE, TRANSLATIONS_DIR

ROOT = TRANSLATIONS_DIR.parents[1]
MAPPING = ROOT / "babel.cfg"
# N_: a message id marked in the pure domain; Nn_: a singular/plural pair (app/domain/wording.py).
# plural_forms: live.js's counted texts (app/web/localized.py).
KEYWORDS = ("_", "gettext", "ngettext:1,2", "lazy_gettext", "lazy_ngettext:1,2", "L_", "N_",
            "Nn_:1,2", "plural_forms:1,2")


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract(output: Path = TEMPLATE) -> Path:
    """Write the template catalog of every marked string in app/ (sorted, no line numbers)."""
    keywords = [arg for word in KEYWORDS for arg in ("-k", word)]
    _pybabel("extract", "-F", str(MAPPING), "--no-default-keywords", *keywords,
             "--sort-by-file", "--no-location", "--omit-header", "--no-wrap",
             "-o", str(output), str(ROOT / "app"))
    return output


def init(locale: str) -> Path:
    _pybabel("init", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS_DIR), "-l", locale,
             "--no-wrap")
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"


def update() -> None:
    """Merge the template into every catalog (new ids arrive untranslated, changed ones fuzzy)."""
    _pybabel("update", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS_DIR), "--no-wrap",
             "--ignore-obsolete")
