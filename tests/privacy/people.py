"""A person with a row in every model of the personal data register, and a scan of the whole
database for what identifies them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from tortoise import Tortoise

from bookings.contacts_models import Contact, OutreachRecipient
from bookings.day_rate_models import DayRate
from bookings.models import (
    BookingStatus,
    CalendarFeed,
    CalendarInvitation,
    FreeSessionException,
    TourInvitation,
    TrainerKind,
)
from bookings.staffing_models import BlockedPeriod, RequestStatus, TrainerProfile
from feedback.models import ContactRequest, FeedbackForm, SessionFeedback
from invoicing.fee_statement_models import FeeStatement
from invoicing.models import Invoice, InvoiceBatch, Payment
from reporting.models import TourTarget
from server import clock, ratelimit
from server.audit import record
from server.auth import issue_login_link, rate_limit_keys_of
from server.mail import OutboxAttachment, OutboxMessage, OutboxStatus
from server.models import RecoveryCode, Role, User
from server.sessions import start_session
from server.webhook_models import WebhookSubscription
from tests.bookings.factories import make_booking, make_request, make_trainer
from tests.factories import make_api_token, make_organisation, make_user


@dataclass(frozen=True)
class Person:
    user: User
    #: Strings that identify the person: none may be left anywhere after erasure.
    identifiers: tuple[str, ...]


async def make_person_everywhere() -> Person:
    name, email, phone = "Sanne de Vries-Oosterhout", "sanne.devries@example.org", "06 98 76 54 32"
    home_town, holiday, excuse = "Wijk bij Duurstede", "Bruiloft van mijn zus", "Dan zit ik bij de tandarts"
    user = await make_trainer(TrainerKind.TRAINER, name=name, email=email)
    await User.filter(id=user.id).update(totp_secret="JBSWY3DPEHPK3PXP", last_login_at=clock.now())
    await TrainerProfile.filter(user=user).update(home_town=home_town)
    profile = await TrainerProfile.get(user=user)
    await DayRate.create(trainer=user, valid_from=date(1900, 1, 1), day_rate_cents=65000)
    await FeeStatement.create(
        trainer=user, month=date(2026, 1, 1), status="approved", trainer_name=name, total_cents=1, pdf=b"%PDF"
    )
    await BlockedPeriod.create(
        profile=profile, first_day=date(2027, 7, 1), last_day=date(2027, 7, 3), note=holiday
    )
    await issue_login_link(user, "http://testserver")
    await start_session(user, second_factor_done=True)
    await RecoveryCode.create(user=user, code_hash="a" * 64)
    # Made while the person was a clerk (the role changed since): the webhook stays, its maker goes.
    await WebhookSubscription.create(
        created_by=user, url="https://planner.example.org/x", event_types=["booking.requested"], secret="s"
    )
    await CalendarFeed.create(user=user, token="t" * 40)
    await make_api_token(user)
    for key in rate_limit_keys_of(user):
        await ratelimit.count_hit(key)

    coordinator = await make_user(Role.COORDINATOR, name="Kees Coördinator")
    organisation = await make_organisation()
    past = clock.now() - timedelta(days=20)
    booking = await make_booking(
        organisation=organisation,
        contact_name=name,
        contact_phone=phone,
        contact_email=email,
        invoice_email=email,
        requested_by=user,
        status=BookingStatus.DELIVERED,
        starts_at=past,
    )
    await make_request(
        booking, user, TrainerKind.TRAINER, RequestStatus.DECLINED, reason=excuse, asked_by=user
    )
    await record(user, "trainer_declined", booking, excuse)
    await CalendarInvitation.create(booking=booking, address=email, sequence=1, sent_at=past)
    await record(coordinator, "trainer_asked", booking, f"{name} gevraagd als trainer")
    invitation = await TourInvitation.create(organisation=organisation, invited_by=user, recipients=1)
    contact = await Contact.create(
        organisation=organisation, name=name, function="griffier", email=email, phone=phone
    )
    await OutreachRecipient.create(
        invitation=invitation,
        contact=contact,
        user=user,
        name=name,
        email=email,
        function="griffier",
        token_hash="o" * 64,
        expires_at=past,
        mailed_at=past,
    )
    await FreeSessionException.create(
        organisation=organisation, term_start=date(2026, 4, 1), reason="Nieuwe raad", granted_by=user
    )
    message = await OutboxMessage.create(
        to_address=email,
        subject="Verzoek",
        body_text=f"Beste {name},",
        body_html=f"<p>Beste {name},</p>",
        status=OutboxStatus.SENT,
        next_attempt_at=past,
        sent_at=past,
        message_id="<privacy-1@weerbaar>",
    )
    await OutboxAttachment.create(
        message=message, filename="uitnodiging.ics", content_type="text/calendar", content=name.encode()
    )
    form = await FeedbackForm.create(name="Sessie")
    session = await SessionFeedback.create(
        booking=booking, form=form, code="PRIV01", opens_at=past, closes_at=past + timedelta(days=14)
    )
    await ContactRequest.create(session=session, email=email)
    invoice = await Invoice.create(
        organisation=organisation, booking=booking, status="issued", number="2026-9001", issued_by=user
    )
    await Payment.create(
        invoice=invoice, amount_cents=100, paid_on=past.date(), reference="NL02 deel", recorded_by=user
    )
    await InvoiceBatch.create(
        started_by=user, started_at=past, issue_date=past.date(), draft_ids=[], total=0, finished_at=past
    )
    await TourTarget.create(
        stage="intake_held",
        percent=50,
        starts_on=date(2026, 1, 1),
        deadline=date(2027, 1, 1),
        updated_by=user,
    )
    return Person(user, (name, email, phone, home_town, holiday, excuse, "JBSWY3DPEHPK3PXP"))


async def stored_anywhere(needles: tuple[str, ...]) -> list[str]:
    """'table: needle' for every identifier found in any column of any table."""
    found = []
    for app in Tortoise.apps.values():
        for model in app.values():
            for row in await model.all().values():
                text = json.dumps(
                    row,
                    default=lambda value: (
                        value.decode(errors="replace") if isinstance(value, bytes) else str(value)
                    ),
                    ensure_ascii=False,
                )
                found += [
                    f"{model._meta.db_table}: {needle}"
                    for needle in needles
                    if needle.lower() in text.lower()
                ]
    return sorted(set(found))
