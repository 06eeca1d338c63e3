"""Leads: a request to be contacted and a wish for a follow-up make a lead and mail the coordinators
(after commit, through the outbox); status moves, owner and next date; "booked" read from the
organisation's follow-up bookings; the leads page and the dashboard's "Actie nodig"."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
import pytest

from bookings.models import Booking, BookingStatus, Stage
from feedback import collect, leads
from feedback.leads import LeadTransitionRefused
from feedback.models import (
    ContactRequest,
    Lead,
    LeadSource,
    LeadStatus,
    Question,
    QuestionKind,
    SessionFeedback,
)
from reporting import actions
from server.errors import Forbidden, ValidationFailed
from server.mail import OutboxMessage
from server.models import Role, User
from server.settings import Settings
from tests.bookings.factories import make_booking, make_offering
from tests.factories import make_user, post, sign_in
from tests.feedback.test_collect import answers, make_session

TODAY = date(2026, 12, 4)


async def follow_up_session() -> tuple[SessionFeedback, dict[str, list[str]], str]:
    """A session whose form also asks whether one wants a follow-up: the session, valid answers to
    the other questions, and the follow-up question's field ("0" is yes)."""
    session = await make_session()
    given = await answers(session)
    question = await Question.create(
        form_id=session.form_id,  # type: ignore[attr-defined]
        position=9,
        kind=QuestionKind.SINGLE,
        text="Wilt u een vervolgtraining?",
        is_required=False,
        options=["Ja", "Nee"],
        marks_follow_up_interest=True,
    )
    return session, given, f"q{question.id}"


async def coordinators() -> list[User]:
    return [
        await make_user(Role.COORDINATOR, name="Bea Coördinator"),
        await make_user(Role.COORDINATOR, name="Ali Coördinator"),
    ]


async def mails_to(addresses: list[str]) -> list[OutboxMessage]:
    return list(await OutboxMessage.filter(to_address__in=addresses, subject__startswith="Nieuwe lead"))


async def test_a_contact_request_makes_a_lead_and_mails_every_coordinator(settings: Settings) -> None:
    staff = await coordinators()
    await make_user(Role.COORDINATOR, is_active=False)
    session = await make_session()
    given = {**await answers(session), "contact": ["on"], "contact_email": ["raadslid@example.org"]}

    await collect.submit(session.code, None, given, settings=settings)

    lead = await Lead.get()
    assert (lead.source, lead.status, lead.owner_id) == (LeadSource.CONTACT_REQUEST, LeadStatus.NEW, None)  # type: ignore[attr-defined]
    assert lead.contact_request_id is not None  # type: ignore[attr-defined]
    mails = await mails_to([user.email for user in staff])
    assert sorted(m.to_address for m in mails) == sorted(user.email for user in staff)
    assert await OutboxMessage.all().count() == 2  # not to the inactive coordinator
    assert "Deelnemer wil contact" in mails[0].body_text
    assert "http://testserver/feedback/leads" in mails[0].body_text
    assert "raadslid@example.org" not in mails[0].body_text  # the address stays on the page


async def test_follow_up_answers_make_one_lead_per_session_and_one_mail(settings: Settings) -> None:
    staff = await coordinators()
    session, given, field = await follow_up_session()

    for _ in range(3):
        await collect.submit(session.code, None, {**given, field: ["0"]}, settings=settings)
    await collect.submit(session.code, None, {**given, field: ["1"]}, settings=settings)

    assert [lead.source for lead in await Lead.all()] == [LeadSource.FOLLOW_UP_INTEREST]
    (view,) = await leads.lead_views(open_only=True)
    assert (view.source_label, view.contact_email) == ("Deelnemers willen een vervolg", "")
    assert len(await mails_to([user.email for user in staff])) == len(staff)


async def test_answers_without_contact_or_follow_up_make_no_lead(settings: Settings) -> None:
    await coordinators()
    session, given, field = await follow_up_session()
    await collect.submit(session.code, None, {**given, field: ["1"]}, settings=settings)
    await collect.submit(session.code, None, given, settings=settings)
    assert await Lead.all().count() == 0
    assert await OutboxMessage.all().count() == 0


async def test_a_refused_submission_makes_no_lead_and_no_mail(settings: Settings) -> None:
    await coordinators()
    session, given, field = await follow_up_session()
    given = {
        **given,
        **await answers(session, scale=["9"]),
        field: ["0"],
        "contact": ["on"],
        "contact_email": ["a@b.nl"],
    }
    with pytest.raises(ValidationFailed):
        await collect.submit(session.code, None, given, settings=settings)
    assert await Lead.all().count() == 0
    assert await OutboxMessage.all().count() == 0


async def test_participants_at_the_same_moment_make_one_follow_up_lead(settings: Settings) -> None:
    await coordinators()
    session, given, field = await follow_up_session()
    given = {**given, field: ["0"]}
    await asyncio.gather(*(collect.submit(session.code, None, given, settings=settings) for _ in range(8)))
    assert await Lead.filter(source=LeadSource.FOLLOW_UP_INTEREST).count() == 1
    assert await OutboxMessage.all().count() == 2


async def make_lead(settings: Settings) -> Lead:
    session = await make_session()
    given = {**await answers(session), "contact": ["on"], "contact_email": ["raadslid@example.org"]}
    await collect.submit(session.code, None, given, settings=settings)
    return await Lead.get(session=session).select_related("organisation")


async def test_coordinators_move_a_lead_only_along_the_allowed_transitions(settings: Settings) -> None:
    owner, other = await coordinators()
    lead = await make_lead(settings)

    await leads.change_lead(
        lead.id, {"status": "contacted", "owner_id": str(owner.id), "next_on": "2027-01-15"}, actor=other
    )
    await lead.refresh_from_db()
    assert (lead.status, lead.owner_id, lead.next_on) == (LeadStatus.CONTACTED, owner.id, date(2027, 1, 15))  # type: ignore[attr-defined]
    # Contacted: the contact request is done, its address goes by the retention of done requests.
    assert (await ContactRequest.get(id=lead.contact_request_id)).done_at is not None  # type: ignore[attr-defined]

    with pytest.raises(LeadTransitionRefused):
        await leads.change_lead(lead.id, {"status": "new"}, actor=owner)
    with pytest.raises(LeadTransitionRefused):
        await leads.change_lead(lead.id, {"status": "booked"}, actor=owner)
    await leads.change_lead(lead.id, {"status": "not_now", "next_on": "2027-06-01"}, actor=owner)
    await leads.change_lead(lead.id, {"status": "contacted"}, actor=owner)
    await lead.refresh_from_db()
    assert (lead.status, lead.owner_id, lead.next_on) == (LeadStatus.CONTACTED, None, None)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"status": "misschien"}, "status"),
        ({"status": "contacted", "owner_id": "999999"}, "owner_id"),
        ({"status": "contacted", "next_on": "15-01-2027"}, "next_on"),
        ({"status": "contacted", "next_on": "2027-02-30"}, "next_on"),
    ],
)
async def test_bad_values_are_refused_at_their_field_and_nothing_changes(
    settings: Settings, values: dict[str, str], field: str
) -> None:
    owner, _other = await coordinators()
    lead = await make_lead(settings)
    with pytest.raises(ValidationFailed) as raised:
        await leads.change_lead(lead.id, values, actor=owner)
    assert list(raised.value.errors) == [field]
    await lead.refresh_from_db()
    assert (lead.status, lead.owner_id, lead.next_on) == (LeadStatus.NEW, None, None)  # type: ignore[attr-defined]


async def test_a_trainer_as_owner_is_refused(settings: Settings) -> None:
    owner, _other = await coordinators()
    trainer = await make_user(Role.TRAINER)
    lead = await make_lead(settings)
    with pytest.raises(ValidationFailed):
        await leads.change_lead(lead.id, {"status": "new", "owner_id": str(trainer.id)}, actor=owner)


async def test_a_lead_is_booked_once_its_organisation_books_a_follow_up_after_it(settings: Settings) -> None:
    owner, _other = await coordinators()
    lead = await make_lead(settings)
    training = await make_offering(name="Omgaan met online haat", stage=Stage.FOLLOW_UP)
    organisation = lead.organisation
    # Before the lead, cancelled, or of another stage or organisation: not booked.
    earlier = await make_booking(organisation=organisation, offering=training)
    await Booking.filter(id=earlier.id).update(created_at=lead.created_at - timedelta(days=1))
    await make_booking(organisation=organisation, offering=training, status=BookingStatus.CANCELLED)
    await make_booking(organisation=organisation)
    await make_booking(offering=training)
    assert [view.status for view in await leads.lead_views()] == [LeadStatus.NEW]
    assert len(await leads.lead_views(open_only=True)) == 1

    await make_booking(organisation=organisation, offering=training)

    (view,) = await leads.lead_views()
    assert (view.status, view.status_label) == (LeadStatus.BOOKED, "Geboekt")
    assert await leads.lead_views(open_only=True) == []
    assert (await actions.open_leads(TODAY)).total == 0
    with pytest.raises(LeadTransitionRefused):
        await leads.change_lead(lead.id, {"status": "not_now"}, actor=owner)
    # Owner and next date may still be set on a booked lead.
    await leads.change_lead(lead.id, {"status": "booked", "owner_id": str(owner.id)}, actor=owner)
    await lead.refresh_from_db()
    assert (lead.status, lead.owner_id) == (LeadStatus.NEW, owner.id)  # type: ignore[attr-defined]


async def test_actie_nodig_lists_new_leads_and_those_whose_next_date_came(settings: Settings) -> None:
    owner, _other = await coordinators()
    first = await make_lead(settings)
    second = await make_lead(settings)
    await leads.change_lead(second.id, {"status": "contacted", "next_on": "2026-12-10"}, actor=owner)

    listed = await actions.open_leads(TODAY)
    assert (listed.total, [item.title for item in listed.items]) == (1, [first.organisation.name])
    assert listed.items[0].href == f"/feedback/leads#lead-{first.id}"

    later = await actions.open_leads(date(2026, 12, 10))
    assert later.total == 2
    assert "volgende stap 10-12-2026" in later.items[1].detail


async def test_the_leads_page_changes_a_lead_and_shows_errors_at_the_field(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner, _other = await coordinators()
    lead = await make_lead(settings)
    await sign_in(client, owner)

    page = await client.get("/feedback/leads")
    assert page.status_code == 200
    assert lead.organisation.name in page.text and "Deelnemer wil contact" in page.text
    assert 'href="mailto:raadslid@example.org"' in page.text

    bad = await post(
        client, "/feedback/leads", {"lead_id": str(lead.id), "status": "contacted", "next_on": "morgen"}
    )
    assert bad.status_code == 400
    assert "Vul een datum in" in bad.text and f'id="lead-{lead.id}-next_on"' in bad.text
    assert (await Lead.get(id=lead.id)).status is LeadStatus.NEW

    refused = await post(client, "/feedback/leads", {"lead_id": str(lead.id), "status": "booked"})
    assert refused.status_code == 409 and "kan niet naar" in refused.text

    unknown = await post(client, "/feedback/leads", {"lead_id": "99999", "status": "contacted"})
    assert unknown.status_code == 404

    done = await post(
        client,
        "/feedback/leads",
        {"lead_id": str(lead.id), "status": "contacted", "owner_id": str(owner.id), "next_on": "2027-01-15"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/feedback/leads?melding=opgeslagen#lead-{lead.id}"
    stored = await Lead.get(id=lead.id)
    assert (stored.status, stored.owner_id, stored.next_on) == (
        LeadStatus.CONTACTED,
        owner.id,
        date(2027, 1, 15),
    )  # type: ignore[attr-defined]


async def test_the_dashboard_shows_the_new_lead_under_actie_nodig(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner, _other = await coordinators()
    lead = await make_lead(settings)
    await sign_in(client, owner)
    page = await client.get("/coordinatie")
    assert page.status_code == 200
    assert "Leads om op te pakken" in page.text
    assert f'href="/feedback/leads#lead-{lead.id}"' in page.text
    # A change of the lead shows at once (the dashboard's figures are kept while nothing changed).
    await leads.change_lead(lead.id, {"status": "not_now"}, actor=owner)
    again = await client.get("/coordinatie")
    assert f'href="/feedback/leads#lead-{lead.id}"' not in again.text


async def test_only_coordinators_change_leads(settings: Settings) -> None:
    await coordinators()
    lead = await make_lead(settings)
    for role in (Role.CLERK, Role.TRAINER, Role.FINANCE):
        with pytest.raises(Forbidden):
            await leads.change_lead(lead.id, {"status": "contacted"}, actor=await make_user(role))
    assert (await Lead.get(id=lead.id)).status is LeadStatus.NEW
