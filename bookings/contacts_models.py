"""People of an organisation (contacts, with or without an account) and the tour mails sent to them."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from bookings.models import TourInvitation
from server.i18n import lazy_gettext
from server.mail import OutboxMessage, OutboxStatus
from server.models import Organisation, User
from server.timestamps import ClockDatetimeField


class ContactFunction(StrEnum):
    """What a contact does for the organisation; the values are the CSV import's words."""

    GRIFFIER = "griffier"
    BURGEMEESTER = "burgemeester"
    COMMISSARIS = "commissaris"
    SECRETARIS = "secretaris"
    VEILIGHEID = "veiligheid"
    COMMUNICATIE = "communicatie"
    OVERIG = "overig"

    @property
    def label(self) -> str:
        return str(FUNCTION_LABELS[self])


FUNCTION_LABELS = {
    ContactFunction.GRIFFIER: lazy_gettext("Griffier"),
    ContactFunction.BURGEMEESTER: lazy_gettext("Burgemeester"),
    ContactFunction.COMMISSARIS: lazy_gettext("Commissaris van de Koning"),
    ContactFunction.SECRETARIS: lazy_gettext("Gemeente- of provinciesecretaris"),
    ContactFunction.VEILIGHEID: lazy_gettext("Adviseur veiligheid of AOV"),
    ContactFunction.COMMUNICATIE: lazy_gettext("Communicatie"),
    ContactFunction.OVERIG: lazy_gettext("Overig"),
}


class Contact(Model):
    """A person of an organisation: an address book entry, not an account."""

    id = fields.IntField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "core.Organisation", related_name="contacts", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    function = fields.CharEnumField(ContactFunction, max_length=16)
    email = fields.CharField(max_length=254)
    phone = fields.CharField(max_length=40, default="")
    notes = fields.TextField(default="")
    created_at = ClockDatetimeField(auto_now_add=True)
    updated_at = ClockDatetimeField(auto_now=True)

    class Meta:
        table = "contact"
        ordering = ["function", "name"]
        unique_together = (("organisation", "email"),)

    def __str__(self) -> str:
        return self.name


class OutreachRecipient(Model):
    """One person a tour invitation was mailed to, with the link that person may use once.

    Only the SHA-256 of the link's token is stored; a reminder replaces it (the newest mail's link
    works, older ones no longer). `mail` is the latest mail sent, so a refusal shows where it matters.
    """

    id = fields.IntField(primary_key=True)
    invitation: fields.ForeignKeyRelation[TourInvitation] = fields.ForeignKeyField(
        "bookings.TourInvitation", related_name="outreach_recipients", on_delete=fields.CASCADE
    )
    contact: fields.ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "bookings.Contact", related_name="outreach", null=True, on_delete=fields.SET_NULL
    )
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="outreach", null=True, on_delete=fields.SET_NULL
    )
    name = fields.CharField(max_length=200)
    email = fields.CharField(max_length=254)
    function = fields.CharEnumField(ContactFunction, max_length=16)
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    mailed_at = fields.DatetimeField()
    reminders_sent = fields.IntField(default=0)
    mail: fields.ForeignKeyNullableRelation[OutboxMessage] = fields.ForeignKeyField(
        "core.OutboxMessage", related_name="outreach", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "outreach_recipient"
        ordering = ["invitation_id", "name"]

    @property
    def has_bounced(self) -> bool:
        """The mail server refused the latest mail (the outbox marked it failed); needs `mail` fetched."""
        return self.mail is not None and self.mail.status is OutboxStatus.FAILED


def function_options() -> list[tuple[str, str]]:
    """(value, label) pairs for a select."""
    return [(str(function), label) for function, label in FUNCTION_LABELS.items()]
