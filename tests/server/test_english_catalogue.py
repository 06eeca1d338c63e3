"""English is complete: every Dutch text has an English translation that keeps its placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.pofile import read_po

from server.settings import PROJECT_DIR

LOCALE = PROJECT_DIR / "locale"
#: `%(name)s`, `%%` and `{name}`: what a translation must keep, or formatting fails or loses a value.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%%|\{\w*\}")


def messages(path: Path) -> dict[str, Message]:
    with path.open("rb") as handle:
        return {str(m.id): m for m in read_po(handle) if m.id}


def texts(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple) else (str(value or ""),)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_every_dutch_message_has_an_english_translation() -> None:
    dutch = messages(LOCALE / "nl" / "LC_MESSAGES" / "messages.po")
    english = messages(LOCALE / "en" / "LC_MESSAGES" / "messages.po")
    missing = [
        msgid
        for msgid in dutch
        if msgid not in english
        or english[msgid].fuzzy
        or not all(text.strip() for text in texts(english[msgid].string))
    ]
    assert not missing, (
        f"no English for {len(missing)} texts (docs/developer.md, Translations): {missing[:10]}"
    )
    assert len(dutch) > 2000


def test_translations_keep_the_placeholders_of_the_dutch_text() -> None:
    english = messages(LOCALE / "en" / "LC_MESSAGES" / "messages.po")
    wrong = []
    for msgid, message in english.items():
        sources = texts(message.id)
        expected = placeholders(sources[-1])
        for text in texts(message.string):
            # A plural form may leave out the count ('one day'), never add a placeholder.
            found = placeholders(text)
            if found != expected and not (len(sources) > 1 and set(found) <= set(expected)):
                wrong.append((msgid, text))
    assert not wrong, wrong[:10]
