"""Invoicing models: the seller's details, the number counter, invoices and credit notes.

An issued document never changes: its content (names, addresses, lines, VAT) is frozen as JSON and
its PDF and UBL bytes are stored at issue. Corrections are credit notes from the same sequence.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from bookings.models import Booking
from invoicing.document import DocumentKind, VatCategory
from server.models import Organisation, User
from server.timestamps import ClockDatetimeField


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    SENT = "sent"
    PAID = "paid"
    CREDITED = "credited"


class SellerSettings(Model):
    """The team's legal details as they appear on invoices (one row)."""

    id = fields.IntField(primary_key=True)
    legal_name = fields.CharField(max_length=200, default="")
    street = fields.CharField(max_length=200, default="")
    postcode = fields.CharField(max_length=10, default="")
    city = fields.CharField(max_length=100, default="")
    kvk = fields.CharField(max_length=8, default="")
    vat_id = fields.CharField(max_length=14, default="")
    iban = fields.CharField(max_length=34, default="")
    invoice_email = fields.CharField(max_length=254, default="")
    payment_term_days = fields.IntField(default=30)
    #: The number of the n-th document of a year, e.g. 2026-0001: {year} and {number} with optional width.
    number_format = fields.CharField(max_length=40, default="{year}-{number:04d}")
    updated_at = ClockDatetimeField(auto_now=True)

    class Meta:
        table = "seller_settings"


class InvoiceCounter(Model):
    """The last number used in a year. Locked while a number is taken, so numbers have no gaps."""

    id = fields.IntField(primary_key=True)
    year = fields.IntField(unique=True)
    last_number = fields.IntField(default=0)

    class Meta:
        table = "invoice_counter"


class Invoice(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(DocumentKind, max_length=16, default=DocumentKind.INVOICE)
    status = fields.CharEnumField(InvoiceStatus, max_length=16, default=InvoiceStatus.DRAFT)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "core.Organisation", related_name="invoices", on_delete=fields.RESTRICT
    )
    booking: fields.ForeignKeyNullableRelation[Booking] = fields.ForeignKeyField(
        "bookings.Booking", related_name="invoices", null=True, on_delete=fields.RESTRICT
    )
    credited_invoice: fields.ForeignKeyNullableRelation[Invoice] = fields.ForeignKeyField(
        "invoicing.Invoice", related_name="credit_notes", null=True, on_delete=fields.RESTRICT
    )
    number = fields.CharField(max_length=20, unique=True, null=True)
    order_reference = fields.CharField(max_length=100, default="")
    delivery_date = fields.DateField(null=True)
    issue_date = fields.DateField(null=True)
    due_date = fields.DateField(null=True)
    note = fields.CharField(max_length=300, default="")
    #: The frozen content at issue (invoicing.document.InvoiceDocument as JSON).
    content = fields.JSONField(null=True)
    pdf = fields.BinaryField(null=True)
    ubl = fields.BinaryField(null=True)
    net_cents = fields.BigIntField(default=0)
    vat_cents = fields.BigIntField(default=0)
    gross_cents = fields.BigIntField(default=0)
    created_at = ClockDatetimeField(auto_now_add=True)
    issued_at = fields.DatetimeField(null=True)
    issued_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="issued_invoices", null=True, on_delete=fields.SET_NULL
    )
    sent_at = fields.DatetimeField(null=True)
    paid_on = fields.DateField(null=True)
    #: Until when one process has the render of this document's files (invoicing.documents).
    render_lease_until = fields.DatetimeField(null=True)
    #: A free-standing invoice (no `booking`: travel costs, materials, an extra half day) may name the
    #: booking it belongs to; unlike `booking`, this never stands for the booking's own invoice.
    linked_booking: fields.ForeignKeyNullableRelation[Booking] = fields.ForeignKeyField(
        "bookings.Booking", related_name="linked_invoices", null=True, on_delete=fields.RESTRICT
    )
    #: A re-invoice: the credit note it follows (one per credit note). It has no booking of its own, as
    #: (booking, kind) is unique: its booking is the one of the invoice that credit note credits.
    after_credit_note: fields.ForeignKeyNullableRelation[Invoice] = fields.ForeignKeyField(
        "invoicing.Invoice", related_name="reinvoices", null=True, on_delete=fields.RESTRICT
    )

    lines: fields.ReverseRelation[InvoiceLine]
    payments: fields.ReverseRelation[Payment]

    class Meta:
        table = "invoice"
        ordering = ["-created_at", "-id"]
        unique_together = (("booking", "kind"), ("after_credit_note",))
        indexes = (Index(fields=("status", "due_date")), Index(fields=("organisation_id", "issue_date")))

    @property
    def is_draft(self) -> bool:
        return self.status is InvoiceStatus.DRAFT

    @property
    def is_free_standing(self) -> bool:
        """Made by finance with free lines, not from a booking's training or cancellation fee."""
        return self.kind is DocumentKind.INVOICE and self.booking_id is None  # type: ignore[attr-defined]


class InvoiceLine(Model):
    """A line of a draft (editable) or of an issued document (then frozen in Invoice.content too)."""

    id = fields.IntField(primary_key=True)
    invoice: fields.ForeignKeyRelation[Invoice] = fields.ForeignKeyField(
        "invoicing.Invoice", related_name="lines", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    description = fields.CharField(max_length=300)
    quantity = fields.IntField(default=1)
    unit_price_cents = fields.BigIntField()
    vat_category = fields.CharEnumField(VatCategory, max_length=1)
    vat_percent = fields.IntField()
    #: On a credit note: the invoice line it credits (each line is credited once).
    credited_line: fields.ForeignKeyNullableRelation[InvoiceLine] = fields.ForeignKeyField(
        "invoicing.InvoiceLine", related_name="credits", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "invoice_line"
        ordering = ["position", "id"]
        unique_together = (("invoice", "position"),)


class InvoiceBatch(Model):
    """A batch issue (invoicing.batch): its progress, and its guard and lease across the cluster.

    `running` is "yes" while the batch runs and NULL afterwards; being unique it lets one batch run
    at a time in the whole cluster. Progress is written in the same transaction as each chunk's
    numbers, so it always says exactly which drafts are done; whoever holds the lease (`host`,
    `lease_until`) goes on with the rest, and another host takes over when the lease ran out.
    """

    id = fields.IntField(primary_key=True)
    started_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="invoice_batches", null=True, on_delete=fields.SET_NULL
    )
    started_at = fields.DatetimeField()
    issue_date = fields.DateField()
    draft_ids = fields.JSONField()
    total = fields.IntField()
    issued_ids = fields.JSONField(default=list)
    issued_numbers = fields.JSONField(default=list)
    #: Draft id (as text) -> why it was not issued.
    skipped = fields.JSONField(default=dict)
    finished_at = fields.DatetimeField(null=True)
    error = fields.CharField(max_length=300, default="")
    running = fields.CharField(max_length=3, null=True, unique=True)
    host = fields.CharField(max_length=100, default="")
    lease_until = fields.DatetimeField(null=True)
    takeovers = fields.IntField(default=0)

    class Meta:
        table = "invoice_batch"
        ordering = ["-id"]


class Payment(Model):
    """Money received for an invoice: a bank statement line. The invoice's open amount is its total
    minus its credit notes minus its payments (invoicing.balances)."""

    id = fields.IntField(primary_key=True)
    invoice: fields.ForeignKeyRelation[Invoice] = fields.ForeignKeyField(
        "invoicing.Invoice", related_name="payments", on_delete=fields.RESTRICT
    )
    amount_cents = fields.BigIntField()
    paid_on = fields.DateField()
    #: The bank statement line (name, description, transaction id) as finance copied it.
    reference = fields.CharField(max_length=140)
    recorded_at = ClockDatetimeField(auto_now_add=True)
    recorded_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="recorded_payments", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "invoice_payment"
        ordering = ["paid_on", "id"]
        indexes = (Index(fields=("invoice_id", "paid_on")),)
