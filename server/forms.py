"""Small helpers shared by the form-handling routes, and the rules every form applies to text:

- a single-line field (a name, an address line, a phone or purchase-order number, a line of an
  invoice) refuses line breaks and control characters with a message at the field: pasted into a
  mail header, a UBL element or a PDF they break it (an empty mandatory element, BR-25; a missing
  glyph). `read_form` already turns the line breaks of other kinds (Word's U+000B, U+2028) into
  plain ones and drops the other control characters, so what is left here is seen and refused;
- an e-mail field takes exactly one address, checked by `email-validator` (no lists, no display
  names, no comments), lower-cased;
- a phone field takes one number that `phonenumbers` (Google's libphonenumber) knows as valid, Dutch
  unless it starts with a country code, and stores it in the international format ("+31 70 373 8314"),
  so mails, calendars and the `tel:` links all show one way of writing it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from starlette.datastructures import FormData
from starlette.requests import Request

from server.i18n import lazy_gettext

#: Unicode categories no single-line value may hold: control characters and line/paragraph separators.
_NOT_ON_ONE_LINE = frozenset({"Cc", "Zl", "Zp"})
SINGLE_LINE_MESSAGE = lazy_gettext("Vul dit op één regel in, zonder regeleinden of andere stuurtekens.")
EMAIL_MESSAGE = lazy_gettext("Vul één geldig e-mailadres in, bijvoorbeeld naam@gemeente.nl.")
PHONE_MESSAGE = lazy_gettext(
    "Vul een geldig telefoonnummer in, bijvoorbeeld 070 373 8314 of 06 12345678; een nummer in het "
    "buitenland met het landnummer, zoals +32 2 503 00 00."
)
#: Numbers without a country code are read as Dutch ones.
PHONE_REGION = "NL"


def values_of(form: FormData, *names: str) -> dict[str, str]:
    """The named text fields, trimmed of nothing, missing ones as ''; files are ignored."""
    values: dict[str, str] = {}
    for name in names:
        value = form.get(name, "")
        values[name] = value if isinstance(value, str) else ""
    return values


def safe_next(target: str | None, default: str) -> str:
    """A local path to continue to after login; anything else (other hosts, '//x') gives `default`."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def client_address(request: Request) -> str:
    return request.client.host if request.client else "onbekend"


def page_number(request: Request) -> int:
    raw = request.query_params.get("pagina", "1")
    return max(int(raw), 1) if raw.isdigit() and len(raw) < 6 else 1


def is_single_line(value: str) -> bool:
    """No line break, tab or other control character (what a one-line input should hold)."""
    return not any(unicodedata.category(character) in _NOT_ON_ONE_LINE for character in value)


def single_line_errors(values: Mapping[str, object], *names: str) -> dict[str, str]:
    """A message for each named field whose value is not a single line."""
    return {
        name: SINGLE_LINE_MESSAGE
        for name in names
        if isinstance(values.get(name), str) and not is_single_line(str(values[name]))
    }


def parse_email(raw: str) -> str | None:
    """Exactly one e-mail address, trimmed and lower-cased; None when it is not one (a list, a
    display name, a line break, no domain with a dot, longer than 254 characters)."""
    candidate = raw.strip()
    if not candidate or len(candidate) > 254 or not is_single_line(candidate):
        return None
    try:
        checked = validate_email(candidate, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return None
    return checked.normalized.lower()


def parse_phone(raw: str) -> str | None:
    """One valid phone number in the international format ("+31 70 373 8314"); None when it is not
    one ("abc", too short, a number no operator has, longer than 40 characters, a line break)."""
    candidate = raw.strip()
    if not candidate or len(candidate) > 40 or not is_single_line(candidate):
        return None
    try:
        number = phonenumbers.parse(candidate, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
