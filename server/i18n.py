"""Gettext for Python code and templates.

Source strings are Dutch, the shipped language; a catalogue for another language goes under
`locale/<lang>/LC_MESSAGES/messages.po` (see README: Translations).
"""

from __future__ import annotations

import gettext

from server.settings import PROJECT_DIR

LOCALE_DIR = PROJECT_DIR / "locale"
TRANSLATIONS = gettext.translation("messages", localedir=LOCALE_DIR, languages=["nl"], fallback=True)
_ = TRANSLATIONS.gettext
