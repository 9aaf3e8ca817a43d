"""The languages we write in, as BCP 47 tags (`en`, `es`, `pt-BR`).

A patient's `language` is any well-formed tag whose text we can serve: its
own catalog, or its base language's (`es-MX` reads the `es` catalog but gets
Mexican dates). A tag we have no catalog for is refused rather than stored
and quietly answered in English.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"
# The source language: message ids are English text, so English is also the
# last fallback of every catalog.
SOURCE = "en"
# Every catalog we ship complete (tests/i18n checks each against the template).
SHIPPED = ("en", "es", "fr", "de", "pt-BR")
MAX_TAG_LENGTH = 35


class UnknownLanguage(ValueError):
    """Not a BCP 47 tag, or one we have no catalog for."""


def _parse(tag: str) -> Locale:
    try:
        return Locale.parse(tag.strip().replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError, TypeError) as error:
        raise UnknownLanguage(
            f"{tag!r} is not a language tag we know (BCP 47); choose one of: {', '.join(SHIPPED)}."
        ) from error


def catalog_names(locale: Locale) -> list[str]:
    """gettext directory names to try, most specific first."""
    names = [str(locale)]
    if locale.script:
        names.append(f"{locale.language}_{locale.script}")
    names.append(locale.language)
    return list(dict.fromkeys(names))


@cache
def _catalogs() -> frozenset[str]:
    return frozenset(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))


def tag_of(locale: Locale) -> str:
    """The BCP 47 spelling of a Babel locale: pt_BR -> pt-BR, zh_Hans -> zh-Hans."""
    return "-".join(p for p in (locale.language, locale.script, locale.territory) if p)


def normalize(tag: str) -> str:
    """The canonical tag for `tag` (case, separators), if we can serve it;
    UnknownLanguage otherwise, naming what we ship."""
    if not tag or len(tag) > MAX_TAG_LENGTH:
        raise UnknownLanguage(f"A language is a BCP 47 tag, one of: {', '.join(SHIPPED)}.")
    locale = _parse(tag)
    if not any(name in _catalogs() for name in catalog_names(locale)):
        raise UnknownLanguage(
            f"PrescripCare does not write in {tag_of(locale)} yet; "
            f"choose one of: {', '.join(SHIPPED)}."
        )
    return tag_of(locale)


def babel_locale(tag: str) -> Locale:
    return _parse(tag)
