"""The gettext catalogs: the template holds every message of the code, every
shipped catalog translates every message with the same placeholders and all
its language's plural forms (Babel's checkers and ours), the compiled .mo
files are those of the .po files, and a missing translation reads as English."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

import prescripcare
from prescripcare.i18n.languages import DOMAIN, LOCALE_DIR, SHIPPED, UnknownLanguage, normalize
from prescripcare.i18n.translator import language_from, speak

TEMPLATE = LOCALE_DIR.parent / "messages.pot"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalog_dir(tag: str) -> str:
    return tag.replace("-", "_")


def template() -> Catalog:
    with TEMPLATE.open("rb") as f:
        return read_po(f)


def catalog(tag: str) -> Catalog:
    with (LOCALE_DIR / catalog_dir(tag) / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as f:
        return read_po(f, locale=catalog_dir(tag))


def ids(messages: list[Message] | Catalog) -> set[object]:
    return {m.id for m in messages if m.id}


def test_the_template_holds_every_message_of_the_code() -> None:
    """`scripts/catalogs` was run after the last change to a message."""
    source = Path(prescripcare.__file__).parent
    found = {
        (m[2] if isinstance(m[2], str) else tuple(m[2][:2]))
        for m in extract_from_dir(source, method_map=[("**.py", "python")])
    }
    assert found == ids(template())


@pytest.mark.parametrize("tag", SHIPPED)
def test_every_catalog_translates_every_message(tag: str) -> None:
    found = catalog(tag)
    assert ids(found) == ids(template())
    assert not list(found.check()), list(found.check())  # Babel's checkers
    for message in found:
        if not message.id:
            continue
        assert "fuzzy" not in message.flags, message.id
        sources = [message.id] if isinstance(message.id, str) else list(message.id)
        forms = [message.string] if isinstance(message.string, str) else list(message.string or ())
        if not isinstance(message.id, str):
            assert len(forms) == found.num_plurals, (tag, message.id)
        wanted = {name for s in sources for name in PLACEHOLDER.findall(s)}
        for form in forms:
            assert form, (tag, message.id)
            # The same placeholders, not merely known ones: a translation
            # that drops %(time)s would drop the time from the reminder.
            assert set(PLACEHOLDER.findall(form)) == wanted, (tag, message.id, form)


@pytest.mark.parametrize("tag", SHIPPED)
def test_the_compiled_catalogs_are_those_of_the_sources(tag: str) -> None:
    folder = LOCALE_DIR / catalog_dir(tag) / "LC_MESSAGES"
    with (folder / f"{DOMAIN}.mo").open("rb") as f:
        compiled = read_mo(f)
    source = catalog(tag)
    assert table(compiled) == table(source), "run scripts/catalogs"


def table(found: Catalog) -> dict[object, object]:
    def frozen(value: object) -> object:
        return value if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]

    return {frozen(m.id): frozen(m.string) for m in found if m.id}


def test_a_missing_translation_reads_as_english(tmp_path: Path) -> None:
    partial = catalog("es")
    dropped = "PrescripCare: it is time to refill one of your medicines. Open %(link)s"
    kept = "Time for your medicines"
    partial.delete(dropped)
    folder = tmp_path / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / f"{DOMAIN}.mo").open("wb") as f:
        write_mo(f, partial)
    spanish = language_from(tmp_path, "es")
    assert spanish.gettext(kept) == "Es hora de sus medicamentos"
    english = speak("en").gettext(dropped)
    assert spanish.gettext(dropped) == english
    assert english.startswith("PrescripCare: it is time to refill")


def test_a_message_no_catalog_knows_reads_as_its_english_text() -> None:
    assert speak("de").gettext("Not a message of ours") == "Not a message of ours"


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("en", "en"),
        ("ES", "es"),
        ("pt-br", "pt-BR"),
        ("pt_BR", "pt-BR"),
        ("es-MX", "es-MX"),
        ("fr-CA", "fr-CA"),
        ("de-AT", "de-AT"),
    ],
)
def test_tags_are_spelled_canonically(given: str, canonical: str) -> None:
    assert normalize(given) == canonical


@pytest.mark.parametrize("given", ["", "tlh", "it", "zh-Hans", "pt-PT", "not a tag", "x" * 40])
def test_tags_without_a_catalog_are_refused(given: str) -> None:
    with pytest.raises(UnknownLanguage):
        normalize(given)


@pytest.mark.parametrize(
    ("tag", "zone", "shown"),
    [
        ("en", "Europe/London", "08:00"),
        ("en", "America/New_York", "8:00 AM"),
        ("es", "America/Mexico_City", "8:00 a.m."),
        ("es", "Europe/Madrid", "8:00"),
        ("pt-BR", "America/Sao_Paulo", "08:00"),
        ("de", "Europe/Berlin", "08:00"),
        ("fr", "Europe/Paris", "08:00"),
    ],
)
def test_times_are_the_readers_in_their_own_zone(tag: str, zone: str, shown: str) -> None:
    # 08:00 local, whatever the zone's offset that day.
    from zoneinfo import ZoneInfo

    local = datetime.combine(datetime(2026, 7, 1).date(), time(8), ZoneInfo(zone))
    assert speak(tag, zone).time(local.astimezone(UTC), zone) == shown


def test_dates_and_plural_forms_follow_the_language() -> None:
    day = datetime(2026, 3, 5).date()
    assert speak("es", "Europe/Madrid").date(day) == "5 mar 2026"
    assert speak("de", "Europe/Berlin").date(day) == "05.03.2026"
    assert speak("en", "America/New_York").date(day) == "Mar 5, 2026"
    minute = "To choose a new password, open this link within %(num)d minute:"
    minutes = "To choose a new password, open this link within %(num)d minutes:"
    # French counts zero as singular, English as plural.
    assert speak("fr").ngettext(minute, minutes, 0).endswith("%(num)d minute :")
    assert speak("en").ngettext(minute, minutes, 0) == minutes
    assert speak("pt-BR").ngettext(minute, minutes, 30).endswith("%(num)d minutos:")
