"""The quote (*offerte*) for a paid offering, as a PDF a clerk downloads to raise a purchase order.

A quote is not stored: it is rendered from the offering's current price on request, and its number
is deterministic (`OF-<CBS code>-<offering id>-<yyyymmdd>`, plus `-<participants>` when the price is
per participant), so downloading it again the same day gives the same number. The booking copies the
price when it is made; the quote only promises it for `QUOTE_VALID_DAYS`.
"""

from __future__ import annotations

from datetime import date, timedelta

from bookings.models import Audience, Offering, PriceModel, VatTreatment
from bookings.policy import BookingPolicy
from bookings.pricing import Price, price_of
from server.errors import DomainError
from server.i18n import DEFAULT_LANGUAGE, _, ngettext, use_language
from server.models import Organisation
from server.pdf import render_pdf
from server.templating import render_document

QUOTE_VALID_DAYS = 30
TEMPLATE = "bookings/quote_pdf.html"


class QuoteRefused(DomainError, ValueError):
    """No quote for this: a free offering, or a number of participants the offering does not take.

    A DomainError (400, Dutch message), so a route can let it through to the error page.
    """


def quote_number(organisation: Organisation, offering: Offering, participants: int, issued_on: date) -> str:
    """Same inputs, same number: `OF-GM0363-7-20260302`, `OF-GM0363-8-20260302-25` per participant."""
    number = f"OF-{organisation.cbs_code}-{offering.id}-{issued_on:%Y%m%d}"
    if offering.price_model is PriceModel.PER_PARTICIPANT:
        number += f"-{participants}"
    return number


def quote_filename(number: str) -> str:
    """The download's file name, e.g. for Content-Disposition: `offerte-OF-GM0363-7-20260302.pdf`."""
    return f"offerte-{number}.pdf"


def audience_label(audience: Audience, *, is_municipality: bool = True) -> str:
    """Who the offering is for; the whole council of a province is its States (*Staten*)."""
    match audience:
        case Audience.WHOLE_COUNCIL:
            return _("De voltallige raad") if is_municipality else _("De voltallige Staten")
        case Audience.GROUP:
            return _("Een groep, zoals een fractie of commissie")
        case Audience.INDIVIDUALS:
            return _("Individuele bestuurders")


def duration_text(minutes: int) -> str:
    """90 -> '1 uur en 30 minuten', 120 -> '2 uur', 45 -> '45 minuten'."""
    hours, rest = divmod(minutes, 60)
    hours_text = ngettext("{n} uur", "{n} uur", hours).format(n=hours)
    minutes_text = ngettext("{n} minuut", "{n} minuten", rest).format(n=rest)
    if not hours:
        return minutes_text
    if not rest:
        return hours_text
    return _("{hours} en {minutes}").format(hours=hours_text, minutes=minutes_text)


def _moment(days: int) -> str:
    if days == 0:
        return _("het begin van de sessie")
    return ngettext("{n} dag voor de sessie", "{n} dagen voor de sessie", days).format(n=days)


def cancellation_terms(policy: BookingPolicy) -> str:
    """The cancellation policy in words, e.g. 'Kosteloos annuleren tot 14 dagen voor de sessie;
    daarna 50 %; vanaf 2 dagen voor de sessie 100 %.'"""
    steps = sorted(policy.cancellation_policy, reverse=True)
    if not steps:
        return _("Annuleren is altijd kosteloos.")
    (first_days, first_percent), *later = steps
    parts = [
        _("Kosteloos annuleren tot {moment}").format(moment=_moment(first_days)),
        _("daarna {percent} %").format(percent=first_percent),
    ]
    parts += [
        _("vanaf {moment} {percent} %").format(moment=_moment(days), percent=percent)
        for days, percent in later
    ]
    return "; ".join(parts) + "."


def vat_label(vat: VatTreatment) -> str:
    if vat is VatTreatment.EXEMPT_EDUCATION:
        return _("Vrijgesteld van btw (onderwijs, art. 11 lid 1 onder o Wet OB)")
    return _("Btw {percent} %").format(percent=vat.rate_percent)


def _quantity_and_unit(offering: Offering, price: Price) -> tuple[str, str]:
    if offering.price_model is PriceModel.PER_PARTICIPANT:
        return (
            ngettext("{n} deelnemer", "{n} deelnemers", price.quantity).format(n=price.quantity),
            _("per deelnemer"),
        )
    return ngettext("{n} sessie", "{n} sessies", price.quantity).format(n=price.quantity), _("per sessie")


def _address_lines(organisation: Organisation) -> list[str]:
    place = " ".join(part for part in (organisation.invoice_postcode, organisation.invoice_city) if part)
    return [line for line in (organisation.invoice_street, place) if line]


async def quote_pdf(
    organisation: Organisation,
    offering: Offering,
    participants: int,
    *,
    issued_on: date,
    policy: BookingPolicy,
) -> bytes:
    """The quote for `participants` people of `organisation` taking `offering`, issued on `issued_on`.

    Raises `QuoteRefused` (a ValueError and a 400 DomainError) for a free offering, which needs no
    quote, and for a number of participants below 1 or above the offering's maximum.
    """
    price = price_of(offering.price_model, offering.price_cents, offering.vat_treatment, participants)
    if offering.is_free or price.is_free:
        raise QuoteRefused(_("Voor een kosteloos aanbod is geen offerte nodig."))
    if participants < 1:
        raise QuoteRefused(_("Vul een aantal deelnemers van minstens 1 in."))
    if offering.max_participants is not None and participants > offering.max_participants:
        raise QuoteRefused(
            _("Dit aanbod is voor maximaal {n} deelnemers.").format(n=offering.max_participants)
        )

    with use_language(DEFAULT_LANGUAGE):  # a document for the organisation's files
        number = quote_number(organisation, offering, participants, issued_on)
        quantity, unit = _quantity_and_unit(offering, price)
        html = render_document(
            TEMPLATE,
            {
                "number": number,
                "issued_on": issued_on,
                "valid_until": issued_on + timedelta(days=QUOTE_VALID_DAYS),
                "organisation_name": organisation.name,
                "address_lines": _address_lines(organisation),
                "invoice_email": organisation.invoice_email,
                "offering": offering,
                "audience": audience_label(offering.audience, is_municipality=organisation.is_municipality),
                "duration": duration_text(offering.duration_minutes),
                "quantity": quantity,
                "unit": unit,
                "price": price,
                "vat_label": vat_label(offering.vat_treatment),
                "cancellation_terms": cancellation_terms(policy),
            },
        )
    return await render_pdf(html)
