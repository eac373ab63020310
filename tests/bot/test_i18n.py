"""Every message the bot can say is translated in every language, and the compiled catalogs
the bot loads are the ones in the .po files."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGE_NAMES, guess_locale, packaged_locales_dir

ROOT = Path(__file__).resolve().parents[2]
LOCALES = packaged_locales_dir()
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
CYRILLIC = re.compile(r"[А-Яа-яІіЇїЄєҐґ]")


def messages_in_code() -> set[str]:
    """What ``_()`` and ``N_()`` mark in bot/ (the local Bot API server is not the bot)."""
    found = extract_from_dir(
        str(ROOT / "bot"),
        method_map=[("localapi/**", "ignore"), ("**.py", "python")],
        keywords={"_": None, "N_": None},
    )
    return {
        message
        for _file, _line, message, _comments, _context in found
        if isinstance(message, str) and message
    }


def catalog(locale: str) -> dict[str, str]:
    with (LOCALES / locale / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return {str(m.id): str(m.string) for m in read_po(file) if m.id}


def test_the_template_holds_every_message_in_the_code() -> None:
    with (LOCALES / "messages.pot").open("rb") as file:
        template = {str(m.id) for m in read_po(file) if m.id}
    in_code = messages_in_code()
    assert len(in_code) > 50
    assert in_code - template == set(), "run the locales target to extract new messages"


@pytest.mark.parametrize("locale", sorted(LANGUAGE_NAMES))
def test_every_message_is_translated(locale: str) -> None:
    translations = catalog(locale)
    missing = sorted(m for m in messages_in_code() if not translations.get(m))
    assert missing == []
    for message, translated in translations.items():
        assert sorted(PLACEHOLDER.findall(message)) == sorted(PLACEHOLDER.findall(translated)), (
            message
        )


def test_ukrainian_is_really_ukrainian() -> None:
    not_translated = [m for m, t in catalog("uk").items() if not CYRILLIC.search(t)]
    assert not_translated == []


@pytest.mark.parametrize("locale", sorted(LANGUAGE_NAMES))
def test_the_compiled_catalog_matches_the_po_file(locale: str) -> None:
    with (LOCALES / locale / "LC_MESSAGES" / "messages.mo").open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    stale = [m for m, t in catalog(locale).items() if compiled.gettext(m) != t]
    assert stale == [], "run the locales target to compile the catalogs"


@pytest.mark.parametrize(
    ("language_code", "expected"),
    [("uk", "uk"), ("uk-UA", "uk"), ("en-US", "en"), ("pt-br", "en"), (None, "en"), ("", "en")],
)
def test_the_first_guess_comes_from_telegrams_language_code(
    language_code: str | None, expected: str
) -> None:
    assert guess_locale(language_code, ["en", "uk"], "en") == expected
