"""The quote (offerte) PDF, read back as a clerk's purchasing department would read it."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from bookings.models import Audience, Offering, PriceModel, Stage, VatTreatment
from bookings.policy import BookingPolicy
from bookings.quote import QuoteRefused, cancellation_terms, duration_text, quote_number, quote_pdf
from server.i18n import use_language
from tests.factories import make_organisation, make_province

ISSUED_ON = date(2026, 3, 2)
POLICY = BookingPolicy()


async def make_offering(**overrides: object) -> Offering:
    values: dict[str, object] = {
        "name": "Training omgaan met bedreigingen",
        "description": "Oefenen met een trainer en een acteur.",
        "stage": Stage.FOLLOW_UP,
        "audience": Audience.GROUP,
        "duration_minutes": 150,
        "max_participants": 30,
        "price_model": PriceModel.PER_PARTICIPANT,
        "price_cents": 7500,
        "vat_treatment": VatTreatment.STANDARD,
    }
    values.update(overrides)
    return await Offering.create(**values)


def read_back(pdf: bytes) -> tuple[int, str]:
    """Page count and the text with all whitespace (also the money filter's no-break space) as one space."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


@pytest.mark.parametrize("language", ["nl", "en"])
async def test_a_quote_per_participant_shows_the_buyer_the_line_vat_and_total(language: str) -> None:
    """Also when a clerk reads Weerbaar in English: a quote is for the organisation's files, in Dutch."""
    organisation = await make_organisation(
        cbs_code="GM0345",
        name="Gemeente Veenendaal",
        invoice_street="Raadhuisplein 1",
        invoice_postcode="3901 GA",
        invoice_city="Veenendaal",
        invoice_email="facturen@veenendaal.nl",
    )
    offering = await make_offering()

    with use_language(language):
        pdf = await quote_pdf(organisation, offering, 20, issued_on=ISSUED_ON, policy=POLICY)
    pages, text = read_back(pdf)

    assert pages == 1
    assert f"OF-GM0345-{offering.id}-20260302-20" in text
    assert "Offerte" in text
    assert "Gemeente Veenendaal Raadhuisplein 1 3901 GA Veenendaal facturen@veenendaal.nl" in text
    assert "Datum 2 maart 2026" in text
    assert "Geldig tot 1 april 2026" in text
    assert "Training omgaan met bedreigingen" in text
    assert "Oefenen met een trainer en een acteur." in text
    assert "Een groep, zoals een fractie of commissie" in text
    assert "2 uur en 30 minuten" in text
    assert "Maximaal aantal deelnemers 30" in text
    assert "20 deelnemers € 75,00 per deelnemer € 1.500,00" in text
    assert "Totaal excl. btw € 1.500,00" in text
    assert "Btw 21 % € 315,00" in text
    assert "Totaal incl. btw € 1.815,00" in text
    assert (
        "Kosteloos annuleren tot 14 dagen voor de sessie; daarna 50 %; vanaf 2 dagen voor de sessie 100 %."
        in text
    )
    assert "inkoopordernummer" in text
    assert "later toevoegen" in text
    assert "070 - 37 38 314" in text
    assert "pagina 1 van 1" in text


async def test_an_exempt_education_session_says_why_there_is_no_vat() -> None:
    organisation = await make_province(name="Provincie Utrecht")
    offering = await make_offering(
        name="Verdiepingssessie voor de raad",
        audience=Audience.WHOLE_COUNCIL,
        duration_minutes=120,
        max_participants=None,
        price_model=PriceModel.PER_SESSION,
        price_cents=250000,
        vat_treatment=VatTreatment.EXEMPT_EDUCATION,
    )

    pages, text = read_back(await quote_pdf(organisation, offering, 35, issued_on=ISSUED_ON, policy=POLICY))

    assert pages == 1
    assert f"OF-{organisation.cbs_code}-{offering.id}-20260302" in text
    assert "Provincie Utrecht" in text
    assert "1 sessie € 2.500,00 per sessie € 2.500,00" in text
    assert "Vrijgesteld van btw (onderwijs, art. 11 lid 1 onder o Wet OB) € 0,00" in text
    assert "Totaal incl. btw € 2.500,00" in text
    assert "Btw 21 %" not in text
    assert "Voor wie De voltallige Staten Duur 2 uur" in text


async def test_a_free_offering_needs_no_quote() -> None:
    organisation = await make_organisation()
    offering = await make_offering(price_model=PriceModel.FREE, price_cents=0)

    with pytest.raises(ValueError, match="kosteloos") as refused:
        await quote_pdf(organisation, offering, 20, issued_on=ISSUED_ON, policy=POLICY)
    assert isinstance(refused.value, QuoteRefused)
    assert refused.value.status_code == 400


async def test_text_from_the_database_is_text_not_markup() -> None:
    organisation = await make_organisation(name="Gemeente <b>Vet</b> & Co")
    offering = await make_offering(description='<img src="file:///etc/passwd"> Oefenen & reflecteren')

    _, text = read_back(await quote_pdf(organisation, offering, 10, issued_on=ISSUED_ON, policy=POLICY))

    assert "Gemeente <b>Vet</b> & Co" in text
    assert '<img src="file:///etc/passwd"> Oefenen & reflecteren' in text


@pytest.mark.parametrize("participants", [0, 31])
async def test_a_quote_needs_a_number_of_participants_the_offering_takes(participants: int) -> None:
    organisation = await make_organisation()
    offering = await make_offering(max_participants=30)

    with pytest.raises(ValueError, match="deelnemers"):
        await quote_pdf(organisation, offering, participants, issued_on=ISSUED_ON, policy=POLICY)


async def test_the_quote_number_is_the_same_for_the_same_quote() -> None:
    organisation = await make_organisation(cbs_code="GM0363")
    per_participant = await make_offering()
    per_session = await make_offering(price_model=PriceModel.PER_SESSION)

    assert quote_number(organisation, per_session, 12, ISSUED_ON) == f"OF-GM0363-{per_session.id}-20260302"
    assert quote_number(organisation, per_session, 30, ISSUED_ON) == f"OF-GM0363-{per_session.id}-20260302"
    assert (
        quote_number(organisation, per_participant, 12, ISSUED_ON)
        == f"OF-GM0363-{per_participant.id}-20260302-12"
    )


@pytest.mark.parametrize(
    ("steps", "words"),
    [
        (
            ((14, 50), (2, 100)),
            "Kosteloos annuleren tot 14 dagen voor de sessie; daarna 50 %; "
            "vanaf 2 dagen voor de sessie 100 %.",
        ),
        (((1, 100),), "Kosteloos annuleren tot 1 dag voor de sessie; daarna 100 %."),
        (
            ((0, 100), (30, 25)),
            "Kosteloos annuleren tot 30 dagen voor de sessie; daarna 25 %; "
            "vanaf het begin van de sessie 100 %.",
        ),
        ((), "Annuleren is altijd kosteloos."),
    ],
)
def test_the_cancellation_policy_in_words(steps: tuple[tuple[int, int], ...], words: str) -> None:
    assert cancellation_terms(BookingPolicy(cancellation_policy=steps)) == words


@pytest.mark.parametrize(
    ("minutes", "words"),
    [(45, "45 minuten"), (60, "1 uur"), (90, "1 uur en 30 minuten"), (121, "2 uur en 1 minuut")],
)
def test_durations_in_words(minutes: int, words: str) -> None:
    assert duration_text(minutes) == words
