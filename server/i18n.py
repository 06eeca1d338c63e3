"""Gettext for Python code and templates, in the language of the request or of a mail's recipient.

Source strings are Dutch, the main language; English is the second, in
`locale/en/LC_MESSAGES/messages.po` (docs/developer.md: Translations). The language is a context
variable: each request sets it (the visitor's choice, else `Accept-Language`), and mail is composed
inside `use_language(recipient's language)`. Text defined at import time, before any request, uses
`lazy_gettext`, which translates each time the text is used.
"""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

from babel.support import LazyProxy

from server.settings import PROJECT_DIR

LOCALE_DIR = PROJECT_DIR / "locale"
#: The interface languages, the main one first.
LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = LANGUAGES[0]

_language: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


@cache
def translations(language: str) -> gettext_module.NullTranslations:
    """The catalogue of `language`, read once per process."""
    return gettext_module.translation("messages", localedir=LOCALE_DIR, languages=[language], fallback=True)


def supported_language(language: str | None) -> str:
    """`language` when Weerbaar speaks it, else the main language."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def current_language() -> str:
    return _language.get()


@contextmanager
def use_language(language: str | None) -> Iterator[str]:
    """Translate in `language` inside the block (a mail to one recipient, a request)."""
    token = _language.set(supported_language(language))
    try:
        yield _language.get()
    finally:
        _language.reset(token)


def gettext(message: str) -> str:
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(_language.get()).ngettext(singular, plural, count)


_ = gettext


def lazy_gettext(message: str) -> LazyProxy:
    """`message` translated when it is used, not when it is defined: for module-level labels."""
    return LazyProxy(gettext, message, enable_cache=False)
