"""The team's legal details as seller on every invoice: kept by finance, checked before issuing.

Errors: ValidationFailed (per field), InvoiceRuleBroken (details incomplete at issue), Forbidden.
"""

from __future__ import annotations

import re

from tortoise.transactions import in_transaction

from invoicing.document import Seller
from invoicing.errors import InvoiceRuleBroken
from invoicing.models import SellerSettings
from invoicing.numbering import number_format_problem
from invoicing.permissions import require_finance
from server.audit import record
from server.errors import ValidationFailed
from server.forms import EMAIL_MESSAGE, parse_email, single_line_errors
from server.i18n import _
from server.models import User


async def seller_settings() -> SellerSettings:
    """The team's details (one row, made empty the first time); one query once it exists."""
    settings = await SellerSettings.get_or_none(id=1)
    if settings is None:
        settings, _created = await SellerSettings.get_or_create(id=1)
    return settings


def seller_of(settings: SellerSettings) -> Seller:
    """The team as seller; raises InvoiceRuleBroken naming what is missing from its details (also what
    is left empty once cleaned, invoicing.text)."""
    seller = Seller(
        name=settings.legal_name,
        street=settings.street,
        postcode=settings.postcode,
        city=settings.city,
        email=settings.invoice_email,
        kvk=settings.kvk,
        vat_id=settings.vat_id,
        iban=settings.iban,
    )
    missing = [
        label
        for label, value in (
            (_("naam"), seller.name),
            (_("adres"), seller.street),
            (_("postcode"), seller.postcode),
            (_("plaats"), seller.city),
            (_("KvK-nummer"), seller.kvk),
            (_("btw-id"), seller.vat_id),
            (_("IBAN"), seller.iban),
        )
        if not value
    ]
    if missing:
        raise InvoiceRuleBroken(
            _("Vul eerst de gegevens van het team in (Financiën, Instellingen): %(missing)s.")
            % {"missing": ", ".join(missing)}
        )
    return seller


SELLER_FIELDS = (
    "number_format",
    "legal_name",
    "street",
    "postcode",
    "city",
    "kvk",
    "vat_id",
    "iban",
    "invoice_email",
    "payment_term_days",
)


def _iban_is_valid(iban: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        return False
    digits = "".join(str(int(char, 36)) for char in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


async def save_seller_settings(values: dict[str, str], *, actor: User) -> SellerSettings:
    """Finance keeps the team's legal details for invoices; each field is checked."""
    require_finance(actor)
    cleaned = {name: values.get(name, "").strip() for name in SELLER_FIELDS}
    cleaned["postcode"] = cleaned["postcode"].upper()
    cleaned["vat_id"] = cleaned["vat_id"].upper().replace(" ", "")
    cleaned["iban"] = cleaned["iban"].upper().replace(" ", "")
    cleaned["invoice_email"] = parse_email(cleaned["invoice_email"]) or ""
    errors: dict[str, str] = {}
    for name in ("legal_name", "street", "city"):
        if not cleaned[name] or len(cleaned[name]) > 200:
            errors[name] = _("Vul dit in (maximaal 200 tekens).")
    if not re.fullmatch(r"\d{4} ?[A-Z]{2}", cleaned["postcode"]):
        errors["postcode"] = _("Vul een postcode in als 1234 AB.")
    if not re.fullmatch(r"\d{8}", cleaned["kvk"]):
        errors["kvk"] = _("Een KvK-nummer heeft 8 cijfers.")
    if not re.fullmatch(r"NL\d{9}B\d{2}", cleaned["vat_id"]):
        errors["vat_id"] = _("Een btw-id ziet eruit als NL123456789B01.")
    if not _iban_is_valid(cleaned["iban"]):
        errors["iban"] = _("Dit IBAN klopt niet; controleer het nummer.")
    if not cleaned["invoice_email"]:
        errors["invoice_email"] = EMAIL_MESSAGE
    if problem := number_format_problem(cleaned["number_format"]):
        errors["number_format"] = problem
    term = cleaned["payment_term_days"]
    if not term.isdigit() or not 1 <= int(term) <= 90:
        errors["payment_term_days"] = _("Vul een betaaltermijn in van 1 tot 90 dagen.")
    errors.update(single_line_errors(values, *SELLER_FIELDS))
    if errors:
        raise ValidationFailed(errors)
    async with in_transaction():
        settings = await SellerSettings.select_for_update().get_or_none(id=1) or await SellerSettings.create(
            id=1
        )
        settings.update_from_dict({**cleaned, "payment_term_days": int(term)})
        await settings.save()
        await record(actor, "seller_settings_saved", settings, cleaned["legal_name"])
    return settings
