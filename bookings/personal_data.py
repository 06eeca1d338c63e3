"""The personal data of bookings and staffing: contact persons, trainers' profiles, their answers."""

from __future__ import annotations

from tortoise.expressions import Q

from bookings.contacts_models import Contact, OutreachRecipient
from bookings.day_rate_models import DayRate
from bookings.models import (
    Booking,
    BookingReminder,
    CalendarFeed,
    CalendarInvitation,
    FreeSessionException,
    Offering,
    OfferingRole,
    PreferredSlot,
    TourInvitation,
)
from bookings.staffing_models import (
    HOLDING,
    AssignmentRequest,
    BlockedPeriod,
    OfferingSpecialty,
    Specialty,
    TrainerProfile,
)
from server import clock
from server.i18n import _, lazy_gettext
from server.models import AuditEntry, Organisation, User, erased_email
from server.privacy import Entry, NoPersonalData, PersonalData, Rows, keep_link

#: The audit actions whose summary is the trainer's reason (bookings.assignment._answer).
ANSWER_ACTIONS = ("trainer_accepted", "trainer_declined")
#: What a contact person's name becomes when that person's data is erased: stored, so in Dutch and
#: not translated (as server.retention.CLEARED_ACTOR).
ERASED_CONTACT = "(gewist)"


def _is_contact(user: User) -> Q:
    """Bookings that name this person as their contact: by name, within the bookings of their own
    organisation or those they made. A name alone would also find namesakes elsewhere."""
    name = user.name.strip()
    if not name:
        return Q(contact_email__iexact=user.email)
    own = Q(requested_by_id=user.id)
    if user.organisation_id is not None:  # type: ignore[attr-defined]
        own |= Q(organisation_id=user.organisation_id)  # type: ignore[attr-defined]
    return (Q(contact_name__iexact=name) & own) | Q(contact_email__iexact=user.email)


async def _contacts(user: User) -> Rows:
    return await Contact.filter(email=user.email).values(
        "organisation__name", "name", "function", "email", "phone", "notes", "created_at"
    )


async def _delete_contacts(user: User) -> int:
    return await Contact.filter(email=user.email).delete()


def _received(user: User) -> Q:
    return Q(user_id=user.id) | Q(email=user.email)


async def _outreach_received(user: User) -> Rows:
    return await OutreachRecipient.filter(_received(user)).values(
        "invitation__organisation__name", "name", "email", "mailed_at", "used_at"
    )


async def _erase_outreach_received(user: User) -> int:
    return await OutreachRecipient.filter(_received(user)).update(
        name=ERASED_CONTACT,
        email=erased_email(user.id),
        contact_id=None,
        expires_at=clock.now(),
    )


async def _bookings(user: User) -> Rows:
    return await Booking.filter(
        Q(requested_by_id=user.id)
        | Q(cancelled_by_id=user.id)
        | _is_contact(user)
        | Q(invoice_email__iexact=user.email)
    ).values(
        "reference",
        "organisation__name",
        "offering__name",
        "status",
        "created_at",
        "starts_at",
        "requested_by_id",
        "cancelled_by_id",
        "contact_name",
        "contact_phone",
        "contact_email",
        "invoice_email",
    )


async def _erase_from_bookings(user: User) -> int:
    """The person as contact (name and phone) and as invoice address; who requested or cancelled
    a booking stays linked to the anonymised account."""
    contacts = await Booking.filter(_is_contact(user)).update(
        contact_name=ERASED_CONTACT, contact_phone="", contact_email=""
    )
    addresses = await Booking.filter(invoice_email__iexact=user.email).update(invoice_email="")
    return contacts + addresses


async def _invitations(user: User) -> Rows:
    return await TourInvitation.filter(invited_by_id=user.id).values("organisation__name", "invited_at")


async def _exceptions(user: User) -> Rows:
    return await FreeSessionException.filter(granted_by_id=user.id).values(
        "organisation__name", "term_start", "granted_at", "reason"
    )


async def _calendar_feed(user: User) -> Rows:
    return await CalendarFeed.filter(user_id=user.id).values("created_at")


async def _delete_calendar_feed(user: User) -> int:
    return await CalendarFeed.filter(user_id=user.id).delete()


async def _calendar_invitations(user: User) -> Rows:
    return await CalendarInvitation.filter(address__iexact=user.email).values(
        "booking__reference", "address", "sequence", "is_cancelled", "sent_at"
    )


async def _delete_calendar_invitations(user: User) -> int:
    return await CalendarInvitation.filter(address__iexact=user.email).delete()


async def _profile(user: User) -> Rows:
    rows = await TrainerProfile.filter(user_id=user.id).values(
        "id", "kind", "home_town", "weekly_availability", "max_sessions_per_month", "is_vat_registered"
    )
    for row in rows:
        profile_id = row.pop("id")
        row["specialties"] = await Specialty.filter(trainers__id=profile_id).values_list("name", flat=True)
        row["provinces"] = await Organisation.filter(trainers__id=profile_id).values_list("name", flat=True)
    return rows


async def _anonymise_profile(user: User) -> int:
    """Where the trainer lives and when they can work; the kind stays, and the day rates stay for the
    costs of sessions already held."""
    return await TrainerProfile.filter(user_id=user.id).update(home_town="", weekly_availability=[])


async def _day_rates(user: User) -> Rows:
    return await DayRate.filter(trainer_id=user.id).values("valid_from", "day_rate_cents", "set_at")


async def _blocked_periods(user: User) -> Rows:
    return await BlockedPeriod.filter(profile__user_id=user.id).values("first_day", "last_day", "note")


async def _delete_blocked_periods(user: User) -> int:
    ids = await BlockedPeriod.filter(profile__user_id=user.id).values_list("id", flat=True)
    return await BlockedPeriod.filter(id__in=list(ids)).delete()


async def _requests(user: User) -> Rows:
    return await AssignmentRequest.filter(Q(trainer_id=user.id) | Q(asked_by_id=user.id)).values(
        "booking__reference",
        "booking__organisation__name",
        "trainer_id",
        "asked_by_id",
        "kind",
        "status",
        "starts_at",
        "ends_at",
        "asked_at",
        "answered_at",
        "reason",
    )


async def _erase_request_reasons(user: User) -> int:
    """A trainer's own words with an answer, also where the audit log quoted them; the requests stay
    for the sessions' history and hours."""
    answered = AssignmentRequest.filter(trainer_id=user.id).exclude(reason="")
    reasons = list(await answered.values_list("reason", flat=True))
    if not reasons:
        return 0
    await AuditEntry.filter(actor_id=user.id, action__in=ANSWER_ACTIONS, summary__in=reasons).update(
        summary=""
    )
    return await answered.update(reason="")


async def _upcoming_sessions(user: User) -> list[str]:
    count = await AssignmentRequest.filter(
        trainer_id=user.id, status__in=HOLDING, starts_at__gt=clock.now()
    ).count()
    if not count:
        return []
    return [
        _(
            "Deze trainer is nog gevraagd of ingeroosterd voor {count} komende sessie(s). Trek die "
            "verzoeken eerst in of laat de trainer ze afwijzen."
        ).format(count=count)
    ]


async def _contacts_at(address: str) -> Rows:
    return await Contact.filter(email__iexact=address).values(
        "organisation__name", "name", "function", "email", "phone", "notes", "created_at"
    )


async def _delete_contacts_at(address: str) -> int:
    return await Contact.filter(email__iexact=address).delete()


async def _outreach_to(address: str) -> Rows:
    return await OutreachRecipient.filter(email__iexact=address).values(
        "invitation__organisation__name", "name", "email", "mailed_at", "used_at"
    )


async def _erase_outreach_to(address: str) -> int:
    return await OutreachRecipient.filter(email__iexact=address).update(
        name=ERASED_CONTACT, email="", contact_id=None, expires_at=clock.now()
    )


async def _bookings_invoiced_to(address: str) -> Rows:
    """Bookings invoiced to the address or naming it as the contact on the day."""
    return await Booking.filter(Q(invoice_email__iexact=address) | Q(contact_email__iexact=address)).values(
        "reference", "organisation__name", "status", "starts_at", "invoice_email", "contact_email"
    )


async def _erase_invoice_address(address: str) -> int:
    invoiced = await Booking.filter(invoice_email__iexact=address).update(invoice_email="")
    contact = await Booking.filter(contact_email__iexact=address).update(
        contact_name=ERASED_CONTACT, contact_phone="", contact_email=""
    )
    return invoiced + contact


ENTRIES: list[Entry] = [
    NoPersonalData(Offering, lazy_gettext("Het aanbod van het team."), reviewed=("name",)),
    NoPersonalData(OfferingRole, lazy_gettext("Welke trainers een onderdeel van het aanbod vraagt.")),
    NoPersonalData(PreferredSlot, lazy_gettext("Voorkeursdata van een aanvraag.")),
    NoPersonalData(BookingReminder, lazy_gettext("Welke herinneringen voor een boeking verstuurd zijn.")),
    NoPersonalData(Specialty, lazy_gettext("Namen van specialismen."), reviewed=("name",)),
    NoPersonalData(OfferingSpecialty, lazy_gettext("Welke specialismen een onderdeel vraagt.")),
    PersonalData(
        Booking,
        "boekingen",
        ("requested_by", "cancelled_by", "contact_name", "contact_phone", "contact_email", "invoice_email"),
        _bookings,
        _erase_from_bookings,
        lazy_gettext(
            "Vrije tekst (lokale situatie, verslag van de intake, contactpersoon op de dag) 24 maanden "
            "na de sessie gewist (WEERBAAR_BOOKING_TEXT_RETENTION_MONTHS); de boeking zelf blijft voor "
            "de administratie. Bij wissen van een contactpersoon gaan diens naam, telefoonnummer en "
            "e-mailadres eruit."
        ),
        reviewed=("location_address",),
        export_address=_bookings_invoiced_to,
        erase_address=_erase_invoice_address,
    ),
    PersonalData(
        TourInvitation,
        "uitnodigingen",
        ("invited_by",),
        _invitations,
        keep_link,
        lazy_gettext("Bewaard voor de voortgang van de tour; de afzender wordt bij wissen anoniem."),
    ),
    PersonalData(
        Contact,
        "contactpersonen",
        ("name", "email", "phone", "notes"),
        _contacts,
        _delete_contacts,
        lazy_gettext(
            "Zolang de persoon contactpersoon van de organisatie is; na 36 maanden zonder wijziging "
            "verwijderd (WEERBAAR_CONTACT_RETENTION_MONTHS), en bij wissen van het account gaan ze mee."
        ),
        export_address=_contacts_at,
        erase_address=_delete_contacts_at,
    ),
    PersonalData(
        OutreachRecipient,
        "tour-uitnodigingen-ontvangen",
        ("contact_id", "user", "name", "email"),
        _outreach_received,
        _erase_outreach_received,
        lazy_gettext(
            "Bewaard voor de voortgang van de tour; naam en e-mailadres 36 maanden na de mail gewist "
            "(WEERBAAR_CONTACT_RETENTION_MONTHS), en bij wissen."
        ),
        reviewed=("token_hash",),
        export_address=_outreach_to,
        erase_address=_erase_outreach_to,
    ),
    PersonalData(
        FreeSessionException,
        "uitzonderingen",
        ("granted_by",),
        _exceptions,
        keep_link,
        lazy_gettext(
            "Bewaard voor de regels over gratis sessies; wie toestemming gaf wordt bij wissen anoniem."
        ),
    ),
    PersonalData(
        CalendarFeed,
        "agendakoppeling",
        ("user", "token"),
        _calendar_feed,
        _delete_calendar_feed,
        lazy_gettext("Tot de koppeling wordt ingetrokken of het account gewist."),
    ),
    PersonalData(
        CalendarInvitation,
        "agenda-uitnodigingen",
        ("address",),
        _calendar_invitations,
        _delete_calendar_invitations,
        lazy_gettext(
            "Welke agenda-uitnodiging naar welk adres ging, zodat wijzigingen en annuleringen dezelfde "
            "afspraak bijwerken; zolang de boeking bestaat, of tot het account gewist wordt."
        ),
    ),
    PersonalData(
        DayRate,
        "dagtarieven",
        ("trainer", "set_by"),
        _day_rates,
        keep_link,
        lazy_gettext(
            "Zeven jaar (fiscale bewaarplicht): de kosten van gegeven sessies en de declaraties rekenen "
            "ermee. Wie een tarief vastlegde wordt bij wissen anoniem."
        ),
    ),
    PersonalData(
        TrainerProfile,
        "trainersprofiel",
        ("user", "home_town", "weekly_availability"),
        _profile,
        _anonymise_profile,
        lazy_gettext("Zolang iemand als trainer werkt; bij wissen gaan woonplaats en beschikbaarheid eruit."),
    ),
    PersonalData(
        BlockedPeriod,
        "afwezigheid",
        ("first_day", "last_day", "note"),
        _blocked_periods,
        _delete_blocked_periods,
        lazy_gettext("Tot het account gewist wordt."),
    ),
    PersonalData(
        AssignmentRequest,
        "trainersverzoeken",
        ("trainer", "asked_by", "reason"),
        _requests,
        _erase_request_reasons,
        lazy_gettext(
            "Bewaard voor de geschiedenis van de sessies en de trainersuren; bij wissen gaat de "
            "toelichting van de trainer eruit."
        ),
        blockers=_upcoming_sessions,
    ),
]
