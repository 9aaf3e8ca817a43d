"""One language's texts and formats: `speak(tag)` answers a cached
`Language` whose gettext falls back to the English catalog, then to the
English message id itself, so a missing translation reads as English."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, localedata
from babel.core import get_global
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

from prescripcare.i18n.languages import (
    DOMAIN,
    LOCALE_DIR,
    SOURCE,
    babel_locale,
    catalog_names,
)

# CLDR puts narrow and ordinary no-break spaces in times ("8:00 AM") and
# percentages ("86 %"). Neither is in the GSM-7 alphabet (one would turn a
# whole SMS into UCS-2, halving its length) nor in the PDF's standard fonts.
_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " "})


def _load(names: list[str], directory: Path = LOCALE_DIR) -> NullTranslations:
    # A NullTranslations when none of the names has a catalog.
    return Translations.load(str(directory), names, DOMAIN)


@cache
def _english() -> NullTranslations:
    return _load([SOURCE])


@dataclass(frozen=True)
class Language:
    tag: str
    locale: Locale
    translations: NullTranslations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.translations.ngettext(singular, plural, count)

    def time(self, instant: datetime, timezone: str) -> str:
        """A wall-clock time where the patient lives (8:00 AM, 08:00)."""
        local = instant.astimezone(ZoneInfo(timezone))
        return format_time(local, "short", locale=self.locale).translate(_SPACES)

    def clock(self, at: dt.time) -> str:
        """A wall-clock time of a schedule (no date, no zone)."""
        return format_time(at, "short", locale=self.locale).translate(_SPACES)

    def date(self, day: date | datetime, width: str = "medium", timezone: str | None = None) -> str:
        if isinstance(day, datetime) and timezone:
            day = day.astimezone(ZoneInfo(timezone)).date()
        return format_date(day, width, locale=self.locale).translate(_SPACES)

    def datetime(self, instant: datetime, timezone: str, width: str = "medium") -> str:
        local = instant.astimezone(ZoneInfo(timezone))
        return format_datetime(local, width, locale=self.locale).translate(_SPACES)

    def percent(self, value: float | None, empty: str = "-") -> str:
        """Whole percents, as the report prints and its tests read them."""
        if value is None:
            return empty
        return format_percent(value, "#,##0%", locale=self.locale).translate(_SPACES)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale).translate(_SPACES)


def _regional(locale: Locale, timezone: str | None) -> Locale:
    """A tag without a region takes the region of the reader's time zone
    when CLDR has that variant: `en` in Europe/London writes 08:00, in
    America/New_York 8:00 AM; `es` in America/Mexico_City Mexican dates."""
    if locale.territory or not timezone:
        return locale
    territory = get_global("zone_territories").get(timezone)
    if not territory or territory in ("ZZ", "001"):
        return locale
    name = "_".join(p for p in (locale.language, locale.script, territory) if p)
    return Locale.parse(name) if localedata.exists(name) else locale


@cache
def speak(tag: str, timezone: str | None = None) -> Language:
    """The Language of a normalized tag (see languages.normalize), with dates
    and numbers in the variant of the reader's time zone."""
    return language_from(LOCALE_DIR, tag, timezone)


def language_from(directory: Path, tag: str, timezone: str | None = None) -> Language:
    """`speak` with the catalogs of `directory` (English always from ours)."""
    locale = babel_locale(tag)
    shown = _regional(locale, timezone)
    own = _load(catalog_names(locale), directory)
    if not isinstance(own, Translations) or locale.language == SOURCE:
        return Language(tag, shown, _english())
    own.add_fallback(_english())
    return Language(tag, shown, own)
