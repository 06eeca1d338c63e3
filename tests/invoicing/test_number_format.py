"""Invoice numbers are file names too (issue 22): the setting refuses what cannot be in one, and the
exports name files safely even for a number issued under an older, laxer format."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing import exports
from invoicing.credits import credit_invoice
from invoicing.drafts import create_draft_for_booking
from invoicing.issuing import issue_invoice
from invoicing.models import SellerSettings
from invoicing.numbering import NUMBER_LENGTH, file_name, format_number, number_format_problem
from server.models import User
from tests.factories import post, sign_in
from tests.invoicing.factories import TODAY, delivered_training

SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
#: One of each kind of format the setting accepts: the default, a prefix, every width, every allowed
#: character before, between and after the placeholders, the longest that fits.
ALLOWED = (
    "{year}-{number:04d}",
    "F{year}-{number:05d}",
    "{year}{number:02d}",
    "{year}_{number:08d}",
    "INV.{year}.{number}",
    "x{year}-_.{number:03d}.NL",
    "WEERBAAR{year}{number:06d}",
)
REFUSED = {
    "F{year}/{number:05d}": "/",
    "{year}\\{number}": "\\",
    "{year}:{number:04d}": ":",
    "F {year}-{number}": "spatie",
    "{year}*{number}?": "* ?",
    "<{year}>{number}|": "< > |",
    '"{year}"{number}': '"',
}


@pytest.mark.parametrize(("number_format", "named"), REFUSED.items(), ids=REFUSED.keys())
def test_characters_that_cannot_be_in_a_file_name_are_refused_and_named(
    number_format: str, named: str
) -> None:
    problem = number_format_problem(number_format)
    assert "bestandsnaam" in problem and problem.rstrip(". ").count(named) >= 1


@pytest.mark.parametrize(
    "number_format",
    [".{year}-{number}", "-{year}-{number}", "{number}-{year}", "{year}", "FACTUUR-TEAM-{year}-{number:06d}"],
)
def test_other_unusable_formats_are_refused(number_format: str) -> None:
    assert number_format_problem(number_format)


@pytest.mark.parametrize("number_format", ALLOWED)
def test_every_kind_of_allowed_format_gives_numbers_that_are_file_names(number_format: str) -> None:
    assert number_format_problem(number_format) == ""
    for year, number in ((2026, 1), (2999, 99_999)):
        formatted = format_number(number_format, year, number)
        assert SAFE_NAME.fullmatch(formatted) and len(formatted) <= NUMBER_LENGTH
        assert file_name(formatted, "pdf") == f"{formatted}.pdf"


PIECE = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="{}"), max_size=6
)


@given(PIECE, PIECE, PIECE, st.sampled_from(["", ":02d", ":04d", ":08d"]))
def test_whatever_the_setting_accepts_is_a_file_name(
    before: str, between: str, after: str, width: str
) -> None:
    number_format = f"{before}{{year}}{between}{{number{width}}}{after}"
    if number_format_problem(number_format):
        return
    formatted = format_number(number_format, 2026, 99_999)
    assert SAFE_NAME.fullmatch(formatted) and len(formatted) <= NUMBER_LENGTH


@given(st.text(max_size=30))
def test_any_number_maps_to_a_safe_file_name(number: str) -> None:
    name = file_name(number, "xml")
    assert SAFE_NAME.fullmatch(name.removesuffix(".xml")) and name.endswith(".xml")


async def test_the_settings_form_refuses_a_slash_at_the_field(
    client: httpx.AsyncClient, finance: User
) -> None:
    await sign_in(client, finance)
    values = {
        "legal_name": "Team",
        "street": "Straat 1",
        "postcode": "2514 EA",
        "city": "Den Haag",
        "kvk": "12345678",
        "vat_id": "NL123456782B01",
        "iban": "NL91ABNA0417164300",
        "invoice_email": "f@t.nl",
        "payment_term_days": "30",
        "number_format": "F{year}/{number:05d}",
    }

    response = await post(client, "/financien/instellingen", values)

    assert response.status_code == 400
    error = re.search(
        r'<p class="field__error" id="field-number_format-error">(.*?)</p>', response.text, re.S
    )
    assert error and "bestandsnaam" in error.group(1) and "/" in error.group(1)
    assert 'aria-invalid="true"' in response.text
    assert (await SellerSettings.get(id=1)).number_format == "{year}-{number:04d}"


@pytest.mark.parametrize("number_format", [*ALLOWED, "F{year}/{number:05d}"])
async def test_the_export_writes_every_document_whatever_the_format(
    finance: User, tmp_path: Path, number_format: str
) -> None:
    # The format with a slash is refused by the form now, but may be stored from before: it still exports.
    await SellerSettings.filter(id=1).update(number_format=number_format)
    invoice = await issue_invoice(
        (await create_draft_for_booking((await delivered_training()).id, actor=finance)).id,
        actor=finance,
        today=TODAY,
    )
    credit = await credit_invoice(invoice.id, None, reason="Dubbel gefactureerd", actor=finance, today=TODAY)

    written = await exports.write_period(TODAY - timedelta(days=1), TODAY, tmp_path / "export")

    names = sorted(path.name for path in written)
    expected = sorted(
        [file_name(n, e) for n in (invoice.number or "", credit.number or "") for e in ("pdf", "xml")]
        + [exports.JOURNAL_NAME]
    )
    assert names == expected
    assert all(path.parent == tmp_path / "export" and path.stat().st_size > 0 for path in written)
    assert (tmp_path / "export" / file_name(invoice.number or "", "pdf")).read_bytes().startswith(b"%PDF")
