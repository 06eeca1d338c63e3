"""Issuing an invoice records `invoice.issued` in the issuing transaction."""

from __future__ import annotations

from invoicing.drafts import create_draft_for_booking
from invoicing.issuing import issue_invoice
from server.models import Role, User
from server.webhook_models import WebhookEvent
from server.webhook_subscriptions import AddressRules, SubscriptionForm, create_subscription
from tests.factories import make_user
from tests.invoicing.factories import TODAY, delivered_training


async def test_an_issued_invoice_is_announced_to_the_buyers_clerks(finance: User) -> None:
    booking = await delivered_training()
    clerk = await make_user(Role.CLERK, organisation=booking.organisation)
    await create_subscription(
        SubscriptionForm("http://127.0.0.1:9/x", "", ("invoice.issued",)),
        actor=clerk,
        rules=AddressRules(allow_private=True, require_https=False),
    )
    draft = await create_draft_for_booking(booking.id, actor=finance)
    issued = await issue_invoice(draft.id, actor=finance, today=TODAY)

    [event] = await WebhookEvent.all()
    assert event.type == "invoice.issued" and event.subject == issued.number
    assert event.organisation_id == booking.organisation.id  # type: ignore[attr-defined]
    assert event.data["gross_cents"] == issued.gross_cents and event.data["kind"] == "invoice"
