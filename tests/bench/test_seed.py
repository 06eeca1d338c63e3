"""The benchmark's seed data: a tiny volume goes in with the right counts, and the app can go on from
it (new ids after the chosen ones, invoice numbers after the seeded ones, open requests acceptable)."""

from __future__ import annotations

from bench.seed import TINY, seed
from bench.seed_additions import add_open_requests
from bench.seed_rows import reference
from bookings import assignment
from bookings.models import Booking, BookingStatus
from bookings.staffing_models import AssignmentRequest, RequestStatus
from feedback.models import ParticipantCode, Response
from invoicing import documents
from invoicing.issuing import issue_invoice
from invoicing.models import Invoice, InvoiceStatus
from server.models import Organisation, Role, User
from server.settings import Settings


async def test_tiny_volume_has_the_asked_counts() -> None:
    seeded = await seed(TINY)

    assert await Organisation.all().count() == 354
    assert await Booking.all().count() == TINY.bookings
    assert await Response.all().count() == TINY.responses
    assert await Invoice.all().count() == TINY.invoices
    assert await Invoice.filter(status=InvoiceStatus.DRAFT).count() == TINY.draft_invoices
    assert await User.filter(role=Role.TRAINER).count() == TINY.trainers
    assert await User.filter(role=Role.CLERK).count() == 354
    statuses = set(await Booking.all().values_list("status", flat=True))
    assert statuses == set(BookingStatus)
    trainer = await User.get(email=seeded.trainer_email)
    assert await AssignmentRequest.filter(trainer=trainer, status=RequestStatus.PENDING).exists()
    assert len(seeded.open_feedback_codes) >= TINY.open_feedback_sessions
    assert await ParticipantCode.filter(code__in=seeded.open_feedback_codes, is_used=False).count() == len(
        seeded.open_feedback_codes
    )
    assert seeded.counts["bookings"] == TINY.bookings


async def test_the_app_carries_on_from_the_seeded_data(settings: Settings) -> None:
    await seed(TINY)
    finance = await User.get(role=Role.FINANCE)
    issued_numbers = set(await Invoice.exclude(number=None).values_list("number", flat=True))
    draft = await Invoice.filter(status=InvoiceStatus.DRAFT).order_by("id").first()
    assert draft is not None

    issued = await issue_invoice(draft.id, actor=finance)

    assert issued.number not in issued_numbers
    issued = await documents.with_documents(issued)
    assert issued.pdf and issued.pdf.startswith(b"%PDF")

    pool = await add_open_requests(3)
    for request_id, trainer_id in pool:
        trainer = await User.get(id=trainer_id)
        accepted = await assignment.answer_by_id(request_id, True, "", trainer=trainer, settings=settings)
        assert accepted.status is RequestStatus.ACCEPTED


async def test_open_requests_never_take_a_reference_the_app_handed_out() -> None:
    await seed(TINY)
    last = await Booking.all().order_by("-id").first()
    assert last is not None
    # The app drew, at random, the reference the next pool booking would get.
    await Booking.filter(id=last.id).update(reference=reference((last.id + 1) * 7919 + 104729))

    pool = await add_open_requests(2)

    references = await Booking.all().values_list("reference", flat=True)
    assert len(pool) == 2
    assert len(set(references)) == len(references)
