"""Single-line fields refuse line breaks and control characters with a message at the field; e-mail
fields take exactly one address; clerks' invitations are limited and do not tell who has an account
(issue 20)."""

from __future__ import annotations

import httpx
import pytest

from bookings.models import Booking, PriceModel, Stage, VatTreatment
from feedback.models import FeedbackForm, Question
from server import auth
from server.forms import is_single_line, parse_email
from server.mail import OutboxMessage
from server.models import AuditEntry, Organisation, Role, User
from server.users import INVITATIONS_PER_CLERK_PER_DAY
from tests.bookings.factories import make_offering
from tests.bookings.test_routes import booking_form
from tests.factories import make_organisation, make_user, post, sign_in


async def paid_booking_url(client: httpx.AsyncClient) -> str:
    """A clerk signed in, at the form of a paid training (which has the invoice fields)."""
    organisation = await make_organisation()
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    offering = await make_offering(
        name="Training",
        stage=Stage.FOLLOW_UP,
        price_model=PriceModel.PER_SESSION,
        price_cents=95_000,
        vat_treatment=VatTreatment.STANDARD,
    )
    return f"/organisaties/{organisation.cbs_code}/boeken/{offering.id}"


#: What people paste: Word's soft line break, a plain one, a tab, NEL, the Unicode line separator.
BREAKS = ["PO\x0b123", "PO\n123", "PO\r\n123", "PO\t123", "PO\x85123", "PO\u2028123"]
NOT_ONE_ADDRESS = [
    "a@zeist.nl, b@evil.example",
    "a@zeist.nl;b@evil.example",
    "a@zeist.nl b@evil.example",
    "Griffie <a@zeist.nl>",
    "a@zeist.nl\nBcc: b@evil.example",
    "a@zeist",
    "geen-adres",
]


@pytest.mark.parametrize("value", ["Raadhuis", "Zaal 2 – ’s-Hertogenbosch", "Café Noord"])
def test_ordinary_text_is_one_line(value: str) -> None:
    assert is_single_line(value)


@pytest.mark.parametrize("value", [*BREAKS, "\x00", "\x1b[31m", "\x9b"])
def test_breaks_and_control_characters_are_not_one_line(value: str) -> None:
    assert not is_single_line(value)


@pytest.mark.parametrize("value", NOT_ONE_ADDRESS)
def test_an_email_field_takes_exactly_one_address(value: str) -> None:
    assert parse_email(value) is None


def test_one_address_is_trimmed_and_lower_cased() -> None:
    assert parse_email("  Facturen@Zeist.NL ") == "facturen@zeist.nl"


@pytest.mark.parametrize("value", BREAKS)
async def test_the_booking_form_refuses_a_broken_line_at_the_field(
    client: httpx.AsyncClient, value: str
) -> None:
    url = await paid_booking_url(client)

    response = await post(client, url, booking_form(po_number=value, contact_name=f"Petra{value}"))

    assert response.status_code == 400
    assert "field-po_number-error" in response.text and "field-contact_name-error" in response.text
    assert "op één regel" in response.text
    assert await Booking.all().count() == 0


async def test_a_soft_line_break_in_a_text_area_becomes_a_line_break(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation()
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    url = f"/organisaties/{organisation.cbs_code}/boeken/{(await make_offering()).id}"

    response = await post(client, url, booking_form(local_situation="Eerste regel\x0bTweede\u2028Derde"))

    assert response.status_code == 303
    assert (await Booking.get()).local_situation == "Eerste regel\nTweede\nDerde"


@pytest.mark.parametrize("value", NOT_ONE_ADDRESS)
async def test_the_booking_form_takes_one_invoice_address(client: httpx.AsyncClient, value: str) -> None:
    url = await paid_booking_url(client)

    response = await post(client, url, booking_form(invoice_email=value))

    assert response.status_code == 400 and "field-invoice_email-error" in response.text
    assert await Booking.all().count() == 0


async def test_billing_details_refuse_breaks_and_a_second_address(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation()
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    url = f"/organisaties/{organisation.cbs_code}/factuurgegevens"

    response = await post(
        client,
        url,
        {
            "invoice_street": "Slotlaan\x0b1",
            "invoice_city": "Zeist",
            "invoice_email": "a@zeist.nl,b@x.example",
        },
    )

    assert response.status_code == 400
    assert "field-invoice_street-error" in response.text and "field-invoice_email-error" in response.text
    stored = await Organisation.get(id=organisation.id)
    assert (stored.invoice_street, stored.invoice_email) == ("", "")


@pytest.mark.parametrize("value", NOT_ONE_ADDRESS[:5])
async def test_a_login_link_goes_to_one_address_only(value: str) -> None:
    await make_user(email="a@zeist.nl")
    with pytest.raises(auth.DomainError) as refused:
        await auth.request_login_link(value, client="10.1.1.1", base_url="http://testserver")
    assert refused.value.field == "email"
    assert await OutboxMessage.all().count() == 0


async def test_an_invitation_refuses_a_name_on_two_lines_and_a_list_of_addresses(
    client: httpx.AsyncClient,
) -> None:
    organisation = await make_organisation()
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    url = f"/organisaties/{organisation.cbs_code}/griffiers"

    response = await post(client, url, {"email": "a@zeist.nl, b@evil.example", "name": "Collega\nKlik hier"})

    assert response.status_code == 400 and "op één regel" in response.text and "één geldig" in response.text
    assert await OutboxMessage.all().count() == 0


async def test_a_clerk_cannot_tell_whether_an_address_has_an_account(client: httpx.AsyncClient) -> None:
    organisation = await make_organisation()
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    await make_user(Role.COORDINATOR, email="coordinator@weerbaar.example", name="Coördinator")
    url = f"/organisaties/{organisation.cbs_code}/griffiers"

    existing = await post(client, url, {"email": "coordinator@weerbaar.example", "name": "Iemand"})
    new = await post(client, url, {"email": "nieuw@zeist.nl", "name": "Nieuw"})

    assert (existing.status_code, existing.headers["location"]) == (new.status_code, new.headers["location"])
    assert "bestaat al" not in existing.text
    assert await OutboxMessage.filter(to_address="coordinator@weerbaar.example").count() == 0
    assert (await User.get(email="coordinator@weerbaar.example")).role is Role.COORDINATOR
    assert await AuditEntry.filter(action="invitation_skipped").count() == 1


async def test_a_clerk_invites_a_limited_number_of_colleagues_a_day(
    client: httpx.AsyncClient, fixed_clock
) -> None:
    from datetime import timedelta

    organisation = await make_organisation()
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    url = f"/organisaties/{organisation.cbs_code}/griffiers"
    for n in range(INVITATIONS_PER_CLERK_PER_DAY):
        assert (
            await post(client, url, {"email": f"c{n}@zeist.nl", "name": f"Collega {n}"})
        ).status_code == 303

    refused = await post(client, url, {"email": "nog-een@zeist.nl", "name": "Nog een"})

    assert refused.status_code == 429 and "morgen" in refused.text
    assert not await User.filter(email="nog-een@zeist.nl").exists()
    fixed_clock.advance(timedelta(days=1, seconds=1))
    assert (await post(client, url, {"email": "nog-een@zeist.nl", "name": "Nog een"})).status_code == 303


@pytest.mark.parametrize("value", BREAKS)
async def test_feedback_form_names_and_questions_are_one_line(client: httpx.AsyncClient, value: str) -> None:
    await sign_in(client, await make_user(Role.COORDINATOR))

    named = await post(client, "/feedbackformulieren", {"name": value})
    assert named.status_code == 400 and "field-name-error" in named.text and "op één regel" in named.text
    assert await FeedbackForm.all().count() == 0

    form = await FeedbackForm.create(name="Evaluatie")
    renamed = await post(client, f"/feedbackformulieren/{form.id}/naam", {"name": value})
    assert renamed.status_code == 400 and "field-name-error" in renamed.text
    question = {"kind": "text", "text": f"Wat {value}?", "options": "", "is_required": "on"}
    asked = await post(client, f"/feedbackformulieren/{form.id}/vragen", question)
    assert asked.status_code == 400 and "-text-error" in asked.text and "op één regel" in asked.text
    assert await Question.all().count() == 0
    assert (await FeedbackForm.get(id=form.id)).name == "Evaluatie"


@pytest.mark.parametrize("value", BREAKS)
async def test_an_offering_name_is_one_line(client: httpx.AsyncClient, value: str) -> None:
    await sign_in(client, await make_user(Role.COORDINATOR))

    response = await post(client, "/aanbod/nieuw", {"name": f"Voorzitten{value}", "stage": "follow_up"})

    assert response.status_code == 400 and "field-name-error" in response.text
    assert "op één regel" in response.text
