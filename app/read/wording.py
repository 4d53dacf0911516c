"""Built-in award words in the reader's language, for every transport.

The domain gives message ids (app/domain/wording.py); this renders them for a
locale with the shipped catalogs, numbers formatted by Babel (CLDR). It takes
the locale as an argument rather than reading Flask-Babel's request locale, so
the REST and page requests, an SSE stream and a gRPC call all use the same code.
Author-written titles (catalog, badges) are content and pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

from app.domain.registry import RULES
from app.domain.wording import (
    HIDDEN_BADGE,
    Words,
    award_words,
    criteria_words,
    level_title_words,
    progress_words,
    public_words,
)
from app.infra.translations import TRANSLATIONS_DIR, compile_catalogs, shipped_locales

DEFAULT_LOCALE = "en"


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog of ``locale`` (English: the message ids themselves)."""
    compile_catalogs()
    return Translations.load(str(TRANSLATIONS_DIR), [locale])


def supported(locale: str | None) -> str:
    """``locale`` if a catalog ships for it (or its language does), else English."""
    for code in (locale or "", (locale or "").replace("-", "_").split("_")[0]):
        if code in shipped_locales():
            return code
    return DEFAULT_LOCALE


def number(value: Any, locale: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return format_decimal(value, locale=locale)


def percent(share: float, locale: str) -> str:
    return format_percent(share, locale=locale)


def render(words: Words, meta: Mapping[str, Any], locale: str) -> str:
    """``words`` in ``locale``, filled from ``meta``; plural form by CLDR's rules."""
    values = {key: number(value, locale) for key, value in meta.items()}
    n = words.number(meta)
    catalog = translations(locale)
    if words.plural is None or n is None:
        return catalog.ugettext(words.singular) % values
    return catalog.ungettext(words.singular, words.plural, n) % {**values,
                                                                  "num": number(n, locale)}


def gettext_in(locale: str, message: str) -> str:
    return translations(locale).ugettext(message)


def award_text(award_type: str, meta: Mapping[str, Any], title: str, description: str,
               locale: str) -> tuple[str, str]:
    """Title and description of an award for ``locale``; the stored ones when the award is
    an authored badge, or its metadata lacks what the words need (an older award)."""
    words = award_words(award_type, meta)
    if words is None:
        return title, description
    try:
        return render(words[0], meta, locale), render(words[1], meta, locale)
    except (KeyError, TypeError, ValueError):
        return title, description


def public_badge_text(award_type: str, meta: Mapping[str, Any], text: Mapping[str, str],
                      locale: str) -> dict[str, str]:
    """What a shared award's public page says, in the visitor's language and the third
    person: ``text`` holds the stored ``title``, ``description`` and the badge's ``name``
    and ``criteria``; an authored badge's (content) and anything its metadata cannot fill
    (an older award) stay as given."""
    shown = dict(text)
    if award_words(award_type, meta) is None:
        return shown
    spec = RULES.get(award_type)
    try:
        shown["title"] = award_text(award_type, meta, text["title"], "", locale)[0]
        shown["description"] = render(public_words(award_type, meta), meta, locale)  # type: ignore[arg-type]
        tiered = criteria_words(award_type, meta)
        shown["name"] = shown["title"] if tiered else gettext_in(locale, spec.title)  # type: ignore[union-attr]
        shown["criteria"] = render(tiered, meta, locale) if tiered else \
            gettext_in(locale, spec.description)  # type: ignore[union-attr]
    except (KeyError, TypeError, ValueError, AttributeError):
        return dict(text)
    return shown


def localize_award(award: dict[str, Any], locale: str) -> dict[str, Any]:
    """An ``award_as_dict`` with ``title``/``description`` in ``locale``. English is what the
    award stored (its rule filled the same words in English)."""
    if locale == DEFAULT_LOCALE:
        return award
    title, description = award_text(award["type"], award["metadata"], award["title"],
                                    award["description"], locale)
    return {**award, "title": title, "description": description}


def type_words(key: str, locale: str) -> tuple[str, str] | None:
    """A built-in type's title and description in ``locale``; None if not built in."""
    spec = RULES.get(key)
    if spec is None:
        return None
    return gettext_in(locale, spec.title), gettext_in(locale, spec.description)


def localize_type(kind: dict[str, Any], locale: str) -> dict[str, Any]:
    """A listed type (``listed_types``) in ``locale``: built-in words and the hidden badge's
    neutral title are ours to translate; an author's badge title is not."""
    words = type_words(kind["key"], locale)
    if words is not None:
        return {**kind, "title": words[0], "description": words[1]}
    if kind.get("hidden"):
        return {**kind, "title": render(HIDDEN_BADGE[0], {}, locale)}
    return kind


def localize_milestone(milestone: dict[str, Any], locale: str) -> dict[str, Any]:
    """A next milestone (``learner_summary``) with its title and progress text in ``locale``."""
    facts = {"current": milestone["current"], "target": milestone["target"],
             "days": milestone["target"], "threshold": milestone["target"]}
    title = milestone["title"] if milestone["type"] == "badge" else \
        render(level_title_words(milestone["type"], milestone["unit"]), facts, locale)
    text = render(progress_words(milestone["type"], milestone["unit"]), facts, locale)
    return {**milestone, "title": title, "text": text}


def localize_locked_badge(badge: dict[str, Any], locale: str) -> dict[str, Any]:
    if not badge["hidden"]:
        return badge
    return {**badge, "title": render(HIDDEN_BADGE[0], {}, locale),
            "description": render(HIDDEN_BADGE[1], {}, locale)}


def localize_summary(summary: dict[str, Any], locale: str) -> dict[str, Any]:
    return {**summary,
            "next_milestones": [localize_milestone(m, locale)
                                for m in summary["next_milestones"]],
            "locked_badges": [localize_locked_badge(b, locale)
                              for b in summary.get("locked_badges", [])]}
