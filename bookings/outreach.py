"""Tour outreach: coordinators invite organisations; their clerks get a link to book the intake.

Errors: Forbidden (not a coordinator), ValidationFailed (nothing selected).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bookings.models import Offering, Stage, TourInvitation
from server.audit import record
from server.errors import Forbidden, ValidationFailed
from server.i18n import _
from server.mail import queue_mail
from server.models import Organisation, Role, User
from server.settings import Settings


@dataclass
class InviteReport:
    invited: list[Organisation] = field(default_factory=list)
    without_clerk: list[Organisation] = field(default_factory=list)


async def invite_organisations(
    codes: list[str], province: str, *, actor: User, settings: Settings
) -> InviteReport:
    """Invite the chosen organisations, or all of a province (the province itself included).

    An organisation without an active clerk cannot be mailed: it is reported, not invited.
    """
    if actor.role is not Role.COORDINATOR:
        raise Forbidden()
    conditions = []
    if codes:
        conditions.append(Q(cbs_code__in=[c.upper() for c in codes]))
    if province:
        conditions.extend([Q(province__cbs_code=province), Q(cbs_code=province)])
    if not conditions:
        raise ValidationFailed({"organisations": _("Kies een of meer organisaties, of een provincie.")})
    selection = Organisation.filter(Q(*conditions, join_type="OR"))
    organisations = await selection.order_by("name")
    if not organisations:
        raise ValidationFailed({"organisations": _("Geen organisaties gevonden voor deze keuze.")})
    intake = await Offering.filter(stage=Stage.INTAKE, is_active=True).order_by("id").first()
    clerks_by_org: dict[int, list[User]] = {}
    for clerk in await User.filter(
        organisation_id__in=[o.id for o in organisations], role=Role.CLERK, is_active=True
    ).order_by("id"):
        clerks_by_org.setdefault(clerk.organisation_id, []).append(clerk)  # type: ignore[attr-defined]
    report = InviteReport()
    async with in_transaction():
        for organisation in organisations:
            clerks = clerks_by_org.get(organisation.id, [])
            if not clerks:
                report.without_clerk.append(organisation)
                continue
            await TourInvitation.create(organisation=organisation, invited_by=actor, recipients=len(clerks))
            link = f"{settings.base_url}/organisaties/{organisation.cbs_code}/boeken"
            if intake:
                link += f"/{intake.id}"
            for clerk in clerks:
                await queue_mail(
                    clerk.email,
                    "bookings/tour_invitation",
                    {"clerk": clerk, "organisation": organisation, "link": link},
                )
            await record(actor, "tour_invitation_sent", organisation, f"{len(clerks)} griffier(s)")
            report.invited.append(organisation)
    return report


@dataclass(frozen=True)
class OutreachRow:
    organisation: Organisation
    clerks: int
    invitation: TourInvitation | None


async def outreach_overview(province: str) -> list[OutreachRow]:
    """Each organisation (of a province) with its number of clerks and its latest invitation."""
    organisations = Organisation.all().select_related("province").order_by("name")
    if province:
        organisations = organisations.filter(Q(province__cbs_code=province) | Q(cbs_code=province))
    rows = await organisations
    ids = [o.id for o in rows]
    clerk_counts: dict[int, int] = {}
    for organisation_id in await User.filter(
        organisation_id__in=ids, role=Role.CLERK, is_active=True
    ).values_list("organisation_id", flat=True):
        clerk_counts[organisation_id] = clerk_counts.get(organisation_id, 0) + 1
    latest: dict[int, TourInvitation] = {}
    for invitation in await TourInvitation.filter(organisation_id__in=ids).order_by("invited_at", "id"):
        latest[invitation.organisation_id] = invitation  # type: ignore[attr-defined]
    return [OutreachRow(o, clerk_counts.get(o.id, 0), latest.get(o.id)) for o in rows]
