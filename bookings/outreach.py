"""Tour outreach: coordinators invite organisations; the invited people get a link to book the intake.

Rules:
- Inviting one, several or all organisations of a province mails, per organisation, its contacts with
  the chosen function (the griffier by default; for the griffier also the clerks who have an account).
  An organisation without such a person is not invited, and the report says why.
- An organisation whose invitation is still running (not answered by a booking, and younger than the
  reminders' span) is not invited again. The organisations are locked (`FOR UPDATE`, in id order)
  before that check, so two coordinators inviting the same province at once invite nobody twice.
- Each recipient's link carries a random token of which only the SHA-256 is stored; it is valid
  `LINK_VALIDITY`, works once, and a reminder replaces it. Using it signs the person in as a clerk of
  the organisation: the account is made then, with the contact's name and address, if there is none.
  An address that belongs to another account (another organisation or role, or deactivated) is refused.
- Organisations that no longer exist (`ended_on` today or earlier, after a merger) are not offered,
  not invited and not reminded.
- Reminders go out `Settings.outreach_reminder_weeks` after the last mail, at most `MAX_REMINDERS`
  times, while nobody of the invitation used their link and the organisation booked nothing, and
  never to an address whose last mail was refused.

Errors: Forbidden (not a coordinator), ValidationFailed (nothing selected), OutreachLinkInvalid (400),
AddressHasOtherAccount (400).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bookings.contacts_models import FUNCTION_LABELS, Contact, ContactFunction, OutreachRecipient
from bookings.models import Offering, Stage, TourInvitation
from bookings.queries import CBS_CODE_LENGTH
from server import clock
from server.audit import record
from server.errors import DomainError, Forbidden, ValidationFailed
from server.i18n import _
from server.mail import OutboxStatus, queue_mail
from server.models import Organisation, Role, User
from server.sessions import hash_secret, start_session
from server.settings import Settings

LINK_VALIDITY = timedelta(days=30)
MAX_REMINDERS = 2


class OutreachLinkInvalid(DomainError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Deze link is verlopen, al gebruikt of vervangen door de link in een nieuwere e-mail. "
                "Gebruik de nieuwste e-mail, of vraag hieronder een inloglink aan als u al een account heeft."
            )
        )


class AddressHasOtherAccount(DomainError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Bij dit e-mailadres hoort al een ander account. Log in zoals gewoonlijk, of vraag het "
                "Ondersteuningsteam om hulp."
            )
        )


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    function: ContactFunction
    contact: Contact | None = None
    user: User | None = None


@dataclass(frozen=True)
class Invited:
    organisation: Organisation
    people: list[Person]


@dataclass(frozen=True)
class NotInvited:
    organisation: Organisation
    reason: str


@dataclass
class InviteReport:
    function: ContactFunction
    invited: list[Invited] = field(default_factory=list)
    not_invited: list[NotInvited] = field(default_factory=list)


def running_span(settings: Settings) -> timedelta:
    """How long an unanswered invitation keeps running: the first mail and every reminder's wait."""
    return timedelta(weeks=settings.outreach_reminder_weeks * (MAX_REMINDERS + 1))


def _existing(prefix: str = "") -> Q:
    """Organisations that still exist today (a merged one ends on its `ended_on`)."""
    return Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gt": clock.local_today()})


def _selection(codes: list[str], province: str) -> Q | None:
    """The chosen organisations, or None when no code could be one: a code longer than a CBS code
    would fail Tortoise's length check (a bare 400) instead of finding nothing."""
    if not codes and not province:
        raise ValidationFailed({"organisations": _("Kies een of meer organisaties, of een provincie.")})
    conditions = []
    fitting = [code.upper() for code in codes if len(code) <= CBS_CODE_LENGTH]
    if fitting:
        conditions.append(Q(cbs_code__in=fitting))
    if province and len(province) <= CBS_CODE_LENGTH:
        conditions.extend([Q(province__cbs_code=province), Q(cbs_code=province)])
    return Q(*conditions, join_type="OR") if conditions else None


async def _people_by_organisation(ids: list[int], function: ContactFunction) -> dict[int, list[Person]]:
    people: dict[int, list[Person]] = {}
    for contact in await Contact.filter(organisation_id__in=ids, function=function).order_by("name", "id"):
        people.setdefault(contact.organisation_id, []).append(  # type: ignore[attr-defined]
            Person(contact.name, contact.email, function, contact=contact)
        )
    if function is ContactFunction.GRIFFIER:
        clerks = await User.filter(organisation_id__in=ids, role=Role.CLERK, is_active=True).order_by("id")
        for clerk in clerks:
            listed = people.setdefault(clerk.organisation_id, [])  # type: ignore[attr-defined]
            if all(person.email != clerk.email for person in listed):
                listed.append(Person(clerk.name, clerk.email, function, user=clerk))
    return people


async def _mail_link(
    recipient: OutreachRecipient, organisation: Organisation, link: str, *, is_reminder: bool
) -> None:
    mail = await queue_mail(
        recipient.email,
        "bookings/tour_invitation",
        {"clerk": recipient, "organisation": organisation, "link": link, "is_reminder": is_reminder},
    )
    recipient.mail = mail
    await recipient.save(update_fields=["mail_id"])


async def _invite_one(
    organisation: Organisation, people: list[Person], *, actor: User, settings: Settings, now: datetime
) -> None:
    invitation = await TourInvitation.create(
        organisation=organisation, invited_by=actor, recipients=len(people)
    )
    for person in people:
        token = secrets.token_urlsafe(32)
        recipient = await OutreachRecipient.create(
            invitation=invitation,
            contact=person.contact,
            user=person.user,
            name=person.name,
            email=person.email,
            function=person.function,
            token_hash=hash_secret(token),
            expires_at=now + LINK_VALIDITY,
            mailed_at=now,
        )
        await _mail_link(recipient, organisation, f"{settings.base_url}/tour/link/{token}", is_reminder=False)
    await record(actor, "tour_invitation_sent", organisation, f"{len(people)} ontvanger(s)")


async def invite_organisations(
    codes: list[str],
    province: str,
    *,
    actor: User,
    settings: Settings,
    function: ContactFunction = ContactFunction.GRIFFIER,
) -> InviteReport:
    """Invite the chosen organisations, or all of a province (the province itself included); see the
    module rules for whom each mail goes to and who is left out."""
    if actor.role is not Role.COORDINATOR:
        raise Forbidden()
    now = clock.now()
    selection = _selection(codes, province)
    ids = (
        await Organisation.filter(selection).filter(_existing()).values_list("id", flat=True)
        if selection
        else []
    )
    if not ids:
        raise ValidationFailed({"organisations": _("Geen organisaties gevonden voor deze keuze.")})
    report = InviteReport(function=function)
    async with in_transaction():
        locked = await Organisation.filter(id__in=ids).select_for_update().order_by("id")
        organisations = sorted(locked, key=lambda o: o.name)
        running = {
            invitation.organisation_id: invitation  # type: ignore[attr-defined]
            for invitation in await TourInvitation.filter(
                organisation_id__in=ids, booked_at__isnull=True, invited_at__gt=now - running_span(settings)
            )
        }
        people = await _people_by_organisation(list(ids), function)
        for organisation in organisations:
            if organisation.id in running:
                when = running[organisation.id].invited_at
                report.not_invited.append(
                    NotInvited(
                        organisation,
                        _("al uitgenodigd op {date}; nog geen reactie").format(date=f"{when:%d-%m-%Y}"),
                    )
                )
            elif not people.get(organisation.id):
                report.not_invited.append(
                    NotInvited(
                        organisation,
                        _("geen contactpersoon met de functie {function}").format(
                            function=FUNCTION_LABELS[function].lower()
                        ),
                    )
                )
            else:
                await _invite_one(
                    organisation, people[organisation.id], actor=actor, settings=settings, now=now
                )
                report.invited.append(Invited(organisation, people[organisation.id]))
    return report


async def find_recipient(token: str) -> OutreachRecipient | None:
    """The recipient whose link this is, with the organisation, while the link is usable."""
    found = await OutreachRecipient.get_or_none(
        token_hash=hash_secret(token), used_at__isnull=True, expires_at__gt=clock.now()
    ).select_related("invitation__organisation")
    return found


async def accept_invitation(token: str) -> tuple[User, str, Organisation]:
    """Use the link (exactly once, also under concurrent clicks): make or find the clerk, sign in.

    Returns the user, the new session key and the organisation.
    """
    now = clock.now()
    token_hash = hash_secret(token)
    async with in_transaction():
        used = await OutreachRecipient.filter(
            token_hash=token_hash, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if used != 1:
            raise OutreachLinkInvalid()
        recipient = await OutreachRecipient.get(token_hash=token_hash).select_related(
            "invitation__organisation"
        )
        organisation = recipient.invitation.organisation
        user = await User.get_or_none(email=recipient.email)
        if user is None:
            user = await User.create(
                email=recipient.email, name=recipient.name, role=Role.CLERK, organisation=organisation
            )
            await record(user, "user_added", user, f"{user.email} als griffier via de tour-uitnodiging")
        elif not (user.is_active and user.role is Role.CLERK and user.organisation_id == organisation.id):  # type: ignore[attr-defined]
            raise AddressHasOtherAccount()
        recipient.user = user
        await recipient.save(update_fields=["user_id"])
        user.last_login_at = now
        await user.save(update_fields=["last_login_at"])
        key = await start_session(user, second_factor_done=True)
        await record(user, "login", user, "ingelogd met de link uit de tour-uitnodiging")
    return user, key, organisation


async def intake_path(organisation: Organisation) -> str:
    """Where a clerk books the intake (the booking choices when no intake is offered)."""
    intake = await Offering.filter(stage=Stage.INTAKE, is_active=True).order_by("id").first()
    path = f"/organisaties/{organisation.cbs_code}/boeken"
    return f"{path}/{intake.id}" if intake else path


async def send_due_reminders(settings: Settings) -> int:
    """Mail a fresh link to each recipient still waiting (see the module rules); return how many.

    Each reminder is claimed by a conditional update of its count, so several processes running this
    job at once send it once.
    """
    now = clock.now()
    due = await (
        OutreachRecipient.filter(
            used_at__isnull=True,
            reminders_sent__lt=MAX_REMINDERS,
            mailed_at__lte=now - timedelta(weeks=settings.outreach_reminder_weeks),
            invitation__booked_at__isnull=True,
        )
        .filter(_existing("invitation__organisation__"))
        .filter(Q(contact_id__isnull=False) | Q(user_id__isnull=False))
        .filter(Q(mail_id__isnull=True) | Q(mail__status__not=OutboxStatus.FAILED))
        .select_related("invitation__organisation")
        .order_by("id")
    )
    answered = set(
        await OutreachRecipient.filter(
            invitation_id__in={r.invitation_id for r in due},
            used_at__isnull=False,  # type: ignore[attr-defined]
        ).values_list("invitation_id", flat=True)
    )
    sent = 0
    for recipient in due:
        if recipient.invitation_id in answered:  # type: ignore[attr-defined]
            continue
        token = secrets.token_urlsafe(32)
        async with in_transaction():
            claimed = await OutreachRecipient.filter(
                id=recipient.id, reminders_sent=recipient.reminders_sent, used_at__isnull=True
            ).update(
                reminders_sent=recipient.reminders_sent + 1,
                token_hash=hash_secret(token),
                expires_at=now + LINK_VALIDITY,
                mailed_at=now,
            )
            if claimed != 1:
                continue
            organisation = recipient.invitation.organisation
            link = f"{settings.base_url}/tour/link/{token}"
            await _mail_link(recipient, organisation, link, is_reminder=True)
            await record(None, "tour_reminder_sent", organisation, recipient.email)
        sent += 1
    return sent


@dataclass(frozen=True)
class OutreachRow:
    organisation: Organisation
    people: int
    invitation: TourInvitation | None
    #: A mail of the latest invitation was refused by the receiving server.
    has_bounce: bool = False


async def outreach_overview(
    province: str, function: ContactFunction = ContactFunction.GRIFFIER
) -> list[OutreachRow]:
    """Each organisation (of a province) with its number of people to invite and its latest invitation
    (and whether a mail of it was refused)."""
    if len(province) > CBS_CODE_LENGTH:
        return []  # no province has such a code (and comparing it would fail Tortoise's length check)
    organisations = Organisation.filter(_existing()).select_related("province").order_by("name")
    if province:
        organisations = organisations.filter(Q(province__cbs_code=province) | Q(cbs_code=province))
    rows = await organisations
    ids = [o.id for o in rows]
    people = await _people_by_organisation(ids, function)
    latest: dict[int, TourInvitation] = {}
    for invitation in await TourInvitation.filter(organisation_id__in=ids).order_by("invited_at", "id"):
        latest[invitation.organisation_id] = invitation  # type: ignore[attr-defined]
    bounced = set(
        await OutreachRecipient.filter(
            invitation_id__in=[i.id for i in latest.values()], mail__status=OutboxStatus.FAILED
        ).values_list("invitation_id", flat=True)
    )
    return [
        OutreachRow(o, len(people.get(o.id, [])), latest.get(o.id), has_bounce=latest[o.id].id in bounced)
        if o.id in latest
        else OutreachRow(o, len(people.get(o.id, [])), None)
        for o in rows
    ]


async def outreach_of(organisation: Organisation) -> list[OutreachRecipient]:
    """The people the organisation's invitations were mailed to, newest first, with their mail's status."""
    return await (
        OutreachRecipient.filter(invitation__organisation=organisation)
        .select_related("invitation", "mail")
        .order_by("-mailed_at", "-id")
    )
