"""Template helpers that speak the page's language: award words, dates, numbers.

Dates are Babel's (CLDR) for the page's locale in the learner's time zone: a
date as its locale abbreviates it ("6. Dez. 2026", "6 dic 2026"), and an
award earned today or yesterday says so ("Heute, 14:30").
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time, get_datetime_format
from flask import Flask
from flask_babel import format_number, get_locale, get_timezone, ngettext
from flask_babel import gettext as _

from app.models.types import utcnow
from app.read.wording import award_text, localize_award, percent, type_words

DEFAULT_LOCALE = "en"


def current_locale() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


def award_title(award: Any) -> str:
    return _award_words(award)[0]


def award_description(award: Any) -> str:
    return _award_words(award)[1]


def _award_words(award: Any) -> tuple[str, str]:
    return award_text(award.achievement_type, award.meta or {}, award.title,
                      award.description, current_locale())


def shown(award: dict[str, Any]) -> dict[str, Any]:
    """An ``award_as_dict`` as this request's reader reads it (REST answers)."""
    return localize_award(award, current_locale())


def type_label(kind: str) -> str:
    """A type's name in the page's language (an unknown key as a readable phrase)."""
    words = type_words(kind, current_locale())
    return words[0] if words else kind.replace("_", " ").capitalize()


def short_date(value: date, locale: str | None = None) -> str:
    return format_skeleton("yMMMd", value, locale=locale or current_locale())


def long_date(value: datetime) -> str:
    """A date written out in the page's language ("6 de diciembre de 2026"), UTC as issued."""
    return format_date(value.date(), "long", locale=current_locale())


def local_long_date(value: datetime) -> str:
    """The learner's calendar day of a moment, written out ("7 December 2026")."""
    return format_date(value.astimezone(get_timezone()).date(), "long",
                       locale=current_locale())


def relative_day(day: date, today: date, locale: str) -> str | None:
    """CLDR's word for today or yesterday ("heute", "ayer", "أمس"), else None."""
    offset = (day - today).days
    if offset not in (0, -1):
        return None
    word = Locale.parse(locale)._data["date_fields"]["day"]["relative"][offset]
    return word[:1].upper() + word[1:]


def localtime(value: datetime | None, zone: tzinfo | None = None,
              now: datetime | None = None) -> str:
    """When something happened, in the learner's zone and the page's language."""
    if value is None:
        return ""
    locale, zone = current_locale(), zone or get_timezone()
    local = value.astimezone(zone)
    today = (now or utcnow()).astimezone(zone).date()
    day = relative_day(local.date(), today, locale) or short_date(local.date(), locale)
    pattern = get_datetime_format("medium", locale=locale)
    return pattern.replace("{1}", day).replace("{0}", format_time(local, "short",
                                                                  locale=locale))


def percentage(share: float) -> str:
    return percent(share, current_locale())


def plural_forms(singular: str, plural: str, locale: str, **extra: str) -> dict[str, str]:
    """One text per CLDR plural category of ``locale`` ("one", "few", "other", ...), with a
    ``{count}`` placeholder: ``live.js`` picks one with ``Intl.PluralRules``. Each category
    is rendered through the catalog with a number of that category, so the gettext forms
    and CLDR's categories agree; a category no small whole number has falls to "other"."""
    rule = Locale.parse(locale).plural_form
    forms = {}
    for category in sorted(rule.tags | {"other"}):
        n = next((n for n in range(200) if rule(n) == category), None)
        if n is not None:
            forms[category] = ngettext(singular, plural, n, count="{count}", **extra)
    return forms


def live_messages() -> dict[str, Any]:
    """The words ``live.js`` shows, in the page's language (a JSON data block, no script)."""
    locale = current_locale()
    return {
        "locale": locale.replace("_", "-"),
        "unlocked": _("Achievement unlocked"),
        "unlockedSentence": _("Achievement unlocked: %(title)s. %(description)s",
                              title="{title}", description="{description}"),
        "viewBadge": _("View badge"),
        "congratulations": _("Congratulations!"),
        "seeAll": _("See them all"),
        "dismiss": _("Dismiss notification"),
        "completed": _("Completed"),
        "many": plural_forms("%(count)s new achievement", "%(count)s new achievements", locale),
        "manySentence": plural_forms("%(count)s new achievement: %(titles)s.",
                                     "%(count)s new achievements: %(titles)s.", locale,
                                     titles="{titles}"),
        "more": plural_forms("and %(count)s more", "and %(count)s more", locale),
        "listSeparator": _(", "),
        "revoked": _("Badge revoked"),
        "revokedSentence": _("Your badge “%(title)s” was revoked: %(reason)s",
                             title="{title}", reason="{reason}"),
        "restored": _("Badge restored"),
        "restoredSentence": _("Your badge “%(title)s” was restored. It counts again.",
                              title="{title}"),
    }


def install(app: Flask) -> None:
    app.jinja_env.globals.update(award_title=award_title, award_description=award_description,
                                 type_label=type_label, live_messages=live_messages,
                                 plural_forms=lambda singular, plural: plural_forms(
                                     singular, plural, current_locale()))
    app.jinja_env.filters.update(localtime=localtime, short_date=short_date,
                                 long_date=long_date, percentage=percentage,
                                 local_long_date=local_long_date, number=format_number)
