"""Phone numbers are checked by `phonenumbers` and kept in one (international) format, whatever way
they were typed; what is no phone number is refused."""

from __future__ import annotations

import pytest

from server.forms import parse_phone


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("070 373 8314", "+31 70 373 8314"),
        ("0703738314", "+31 70 373 8314"),
        ("+31 (0)70 373 8314", "+31 70 373 8314"),
        ("0031 70 373 8314", "+31 70 373 8314"),
        (" 06-12345678 ", "+31 6 12345678"),
        ("06 1234 5678", "+31 6 12345678"),
        ("020 123 4567", "+31 20 123 4567"),
        ("0800 1234", "+31 800 1234"),
        ("+32 2 503 00 00", "+32 2 503 00 00"),
    ],
)
def test_a_phone_number_is_stored_in_the_international_format(typed: str, stored: str) -> None:
    assert parse_phone(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["", "abc", "06", "bel mij", "112", "070 373 8314\n06 12345678", "0" * 41, "+99 123 456 789"],
)
def test_what_is_no_phone_number_is_refused(typed: str) -> None:
    assert parse_phone(typed) is None
