"""CI checks on the message catalogs: extraction is current, shipped locales are complete."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.infra import extraction
from app.infra.translations import TEMPLATE, catalog_path, compile_catalogs, shipped_locales

LOCALES = [code for code in shipped_locales() if code != "en"]


def ids(path: Path) -> set[str | tuple[str, ...]]:
    with path.open("rb") as source:
        return {message.id for message in read_po(source) if message.id}


def test_every_marked_string_is_in_the_template_catalog(tmp_path: Path) -> None:
    """Run pybabel extract afresh: a string marked in code or templates but missing from
    app/translations/messages.pot means someone forgot ``flask translations extract``."""
    fresh = ids(extraction.extract(tmp_path / "fresh.pot"))
    missing = fresh - ids(TEMPLATE)
    assert not missing, f"run `flask --app wsgi translations extract`; missing: {missing}"


def test_spanish_german_and_arabic_ship() -> None:
    assert {"es", "de", "ar"} <= set(LOCALES)


@pytest.mark.parametrize("locale", LOCALES)
def test_shipped_catalog_is_complete_and_valid(locale: str) -> None:
    with catalog_path(locale).open("rb") as source:
        catalog = read_po(source, locale=locale)
    template = ids(TEMPLATE)
    translated = {m.id for m in catalog if m.id and m.string and
                  (not isinstance(m.string, tuple) or all(m.string))}
    assert not template - translated, f"untranslated in {locale}: {template - translated}"
    assert not [m.id for m in catalog if m.id and m.fuzzy], f"fuzzy entries in {locale}"
    assert not [(m.id, errors) for m, errors in catalog.check()]


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_are_not_english_copies(locale: str) -> None:
    with catalog_path(locale).open("rb") as source:
        catalog = read_po(source, locale=locale)
    words = [m for m in catalog if m.id and isinstance(m.id, str) and len(m.id) > 12]
    copies = [m.id for m in words if m.string == m.id]
    assert len(copies) <= len(words) // 50, copies


def test_compiled_catalogs_follow_their_sources(tmp_path: Path) -> None:
    """A fresh clone has no .mo: they are built from the .po, and rebuilt when it changes."""
    po_dir = tmp_path / "de" / "LC_MESSAGES"
    po_dir.mkdir(parents=True)
    (po_dir / "messages.po").write_bytes(catalog_path("de").read_bytes())
    assert compile_catalogs(tmp_path) == [po_dir / "messages.mo"]
    assert compile_catalogs(tmp_path) == []
