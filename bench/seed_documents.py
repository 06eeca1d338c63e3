"""Seeding, the last part: feedback sessions with their responses and answers, and invoices.

Called by `bench.seed.seed` inside its transaction, after the bookings exist.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.models import Model

from bookings.models import Booking, BookingStatus, Offering, VatTreatment
from feedback.models import (
    Answer,
    FeedbackForm,
    OfferingForm,
    ParticipantCode,
    Question,
    QuestionKind,
    Response,
    SessionFeedback,
)
from invoicing.demo import SELLER
from invoicing.document import Buyer, DocumentKind, InvoiceDocument, Line, Seller, VatCategory
from invoicing.issuing import document_json
from invoicing.models import Invoice, InvoiceCounter, InvoiceLine, InvoiceStatus, SellerSettings
from invoicing.numbering import format_number
from server.models import Organisation
from server.templating import AMSTERDAM

if TYPE_CHECKING:
    from bench.seed import Volume

MODELS = [SessionFeedback, Response, Answer, Invoice, InvoiceLine]
#: Enough for every participant's page and every feedback write of a run (each uses a fresh code).
CODES_PER_OPEN_SESSION = 300
BATCH = 5000
PLACEHOLDER_PDF = b"%PDF-1.7\n% bench placeholder: the real PDF is rendered when a draft is issued\n%%EOF\n"
PLACEHOLDER_UBL = b'<?xml version="1.0" encoding="UTF-8"?><Invoice><!-- bench placeholder --></Invoice>'
TEXTS = (
    "Ik ga incidenten voortaan melden bij de griffie.",
    "Meer afspraken maken met de fractie over online reacties.",
    "Eerder de burgemeester inschakelen als het misgaat.",
    "Goede oefeningen, graag een vervolg.",
    "De casus uit onze eigen gemeente maakte het concreet.",
    "Ik blokkeer sneller en bewaar schermafdrukken.",
)


@dataclass
class Documents:
    open_codes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _code(number: int) -> str:
    return hashlib.sha256(f"session-{number}".encode()).hexdigest()[:8].upper()


def _number(question: Question, rng: random.Random) -> int:
    if question.kind is QuestionKind.SCALE:
        return rng.choices(range(1, 6), weights=(1, 2, 5, 9, 6))[0]
    if question.kind is QuestionKind.GRADE:
        return rng.choices(range(1, 11), weights=(0, 0, 1, 1, 2, 5, 9, 12, 6, 2))[0]
    return rng.randrange(len(question.options))


async def _next_id(model: type[Model]) -> int:
    last = await model.all().order_by("-id").first()
    return (last.id if last else 0) + 1


async def _insert(rows: list) -> None:  # type: ignore[type-arg]
    if rows:
        await type(rows[0]).bulk_create(rows, batch_size=BATCH)


async def _feedback(volume: Volume, bookings: list[Booking], now: datetime, result: Documents) -> None:
    rng = random.Random(13)
    form_of = {link.offering_id: link.form_id for link in await OfferingForm.all()}  # type: ignore[attr-defined]
    questions: dict[int, list[Question]] = {}
    for question in await Question.filter(
        form_id__in=list(await FeedbackForm.all().values_list("id", flat=True))
    ):
        questions.setdefault(question.form_id, []).append(question)  # type: ignore[attr-defined]
    given = [
        b
        for b in bookings
        if b.status in (BookingStatus.DELIVERED, BookingStatus.CLOSED) and b.offering_id in form_of  # type: ignore[attr-defined]
    ]
    session_id = await _next_id(SessionFeedback)
    response_id = await _next_id(Response)
    answer_id = await _next_id(Answer)
    sessions = []
    for booking in given:
        assert booking.starts_at
        sessions.append(
            SessionFeedback(
                id=session_id,
                booking_id=booking.id,
                form_id=form_of[booking.offering_id],  # type: ignore[attr-defined]
                code=_code(session_id),
                opens_at=booking.starts_at,
                closes_at=booking.starts_at + timedelta(days=14),
                clerk_mailed_at=booking.starts_at,
                created_at=booking.starts_at,
            )
        )
        session_id += 1
    await _insert(sessions)
    # Participant codes of the open sessions, unused: the benchmark's participants submit with them.
    open_sessions = [s for s in sessions if s.opens_at <= now < s.closes_at]
    codes = [
        ParticipantCode(session_id=s.id, code=f"B{s.id:07d}{n:08d}")
        for s in open_sessions
        for n in range(CODES_PER_OPEN_SESSION)
    ]
    await ParticipantCode.bulk_create(codes, batch_size=1000)
    result.open_codes = [c.code for c in codes]
    weights = [b.participants_count or 1 for b in given]
    per_session = [0] * len(sessions)
    for index in rng.choices(range(len(sessions)), weights=weights, k=volume.responses) if sessions else []:
        per_session[index] += 1
    responses: list[Response] = []
    answers: list[Answer] = []
    for session, count in zip(sessions, per_session, strict=True):
        form_questions = questions[session.form_id]  # type: ignore[attr-defined]
        for _n in range(count):
            submitted = min(session.opens_at + timedelta(minutes=rng.randint(30, 4000)), now)
            responses.append(
                Response(
                    id=response_id,
                    session_id=session.id,
                    token_hash=hashlib.sha256(f"response-{response_id}".encode()).hexdigest(),
                    submitted_at=submitted,
                    updated_at=submitted,
                )
            )
            for question in form_questions:
                if question.kind is QuestionKind.TEXT:
                    if not question.is_required and rng.random() < 0.7:
                        continue
                    answers.append(
                        Answer(
                            id=answer_id,
                            response_id=response_id,
                            question_id=question.id,
                            text=rng.choice(TEXTS),
                        )
                    )
                else:
                    answers.append(
                        Answer(
                            id=answer_id,
                            response_id=response_id,
                            question_id=question.id,
                            number=_number(question, rng),
                        )
                    )
                answer_id += 1
            response_id += 1
        if len(answers) > 50_000:
            await _insert(responses)
            await _insert(answers)
            responses, answers = [], []
    await _insert(responses)
    await _insert(answers)
    result.counts.update(
        feedback_sessions=len(sessions), responses=sum(per_session), answers=await Answer.all().count()
    )


def _vat(treatment: VatTreatment) -> tuple[VatCategory, int]:
    return (VatCategory.STANDARD, 21) if treatment is VatTreatment.STANDARD else (VatCategory.EXEMPT, 0)


def _line(booking: Booking, offering: Offering) -> Line:
    assert booking.starts_at
    category, percent = _vat(booking.vat_treatment)
    per_participant = booking.price_model.value == "per_participant"
    day = booking.starts_at.astimezone(AMSTERDAM).date()
    return Line(
        description=f"{offering.name}, {day:%d-%m-%Y} ({booking.reference})",
        quantity=(booking.participants_count or 1) if per_participant else 1,
        unit_price_cents=booking.unit_price_cents,
        vat_category=category,
        vat_percent=percent,
    )


async def _invoices(
    volume: Volume, bookings: list[Booking], offerings: list[Offering], now: datetime, result: Documents
) -> None:
    seller_row = await SellerSettings.create(id=1, **SELLER)
    seller = Seller(
        name=seller_row.legal_name,
        street=seller_row.street,
        postcode=seller_row.postcode,
        city=seller_row.city,
        email=seller_row.invoice_email,
        kvk=seller_row.kvk,
        vat_id=seller_row.vat_id,
        iban=seller_row.iban,
    )
    offering_of = {o.id: o for o in offerings}
    organisation_of = {o.id: o for o in await Organisation.all()}
    paid = sorted(
        (
            b
            for b in bookings
            if b.is_paid and b.status in (BookingStatus.DELIVERED, BookingStatus.CLOSED) and b.starts_at
        ),
        key=lambda b: b.starts_at,  # type: ignore[arg-type, return-value]
    )[-volume.invoices :]
    today = now.astimezone(AMSTERDAM).date()
    invoice_id, line_id = await _next_id(Invoice), await _next_id(InvoiceLine)
    last_number: dict[int, int] = {}
    invoices, lines = [], []
    for position, booking in enumerate(paid):
        assert booking.starts_at
        offering, organisation = offering_of[booking.offering_id], organisation_of[booking.organisation_id]  # type: ignore[attr-defined]
        line = _line(booking, offering)
        delivered: date = booking.starts_at.astimezone(AMSTERDAM).date()
        invoice = Invoice(
            id=invoice_id,
            organisation_id=organisation.id,
            booking_id=booking.id,
            order_reference=booking.po_number,
            delivery_date=delivered,
            created_at=booking.starts_at + timedelta(days=1),
        )
        if position < len(paid) - volume.draft_invoices:
            issued_on = min(delivered + timedelta(days=3), today)
            year = issued_on.year
            last_number[year] = last_number.get(year, 0) + 1
            document = InvoiceDocument(
                kind=DocumentKind.INVOICE,
                number=format_number(seller_row.number_format, year, last_number[year]),
                issue_date=issued_on,
                due_date=issued_on + timedelta(days=seller_row.payment_term_days),
                delivery_date=delivered,
                seller=seller,
                buyer=Buyer(
                    name=f"Gemeente {organisation.name}"
                    if organisation.is_municipality
                    else f"Provincie {organisation.name}",
                    street=organisation.invoice_street,
                    postcode=organisation.invoice_postcode,
                    city=organisation.invoice_city,
                    email=organisation.invoice_email,
                    oin=organisation.oin,
                ),
                lines=(line,),
                order_reference=booking.po_number,
            )
            overdue_for = (today - document.due_date).days
            invoice.status = InvoiceStatus.PAID if overdue_for > 0 and position % 9 else InvoiceStatus.SENT
            invoice.content = document_json(document)
            invoice.pdf, invoice.ubl = PLACEHOLDER_PDF, PLACEHOLDER_UBL
            invoice.net_cents, invoice.vat_cents, invoice.gross_cents = (
                document.net_cents,
                document.vat_cents,
                document.gross_cents,
            )
            invoice.number = document.number
            invoice.issue_date, invoice.due_date = document.issue_date, document.due_date
            invoice.issued_at = datetime.combine(issued_on, datetime.min.time(), tzinfo=AMSTERDAM)
            invoice.sent_at = invoice.issued_at
            invoice.paid_on = (
                document.due_date - timedelta(days=5) if invoice.status is InvoiceStatus.PAID else None
            )
        invoices.append(invoice)
        lines.append(
            InvoiceLine(
                id=line_id,
                invoice_id=invoice_id,
                position=1,
                description=line.description,
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
                vat_category=line.vat_category,
                vat_percent=line.vat_percent,
            )
        )
        invoice_id += 1
        line_id += 1
    await _insert(invoices)
    await _insert(lines)
    for year, number in last_number.items():
        await InvoiceCounter.create(year=year, last_number=number)
    result.counts.update(invoices=len(invoices), draft_invoices=min(volume.draft_invoices, len(invoices)))


async def feedback_and_invoices(
    volume: Volume, bookings: list[Booking], offerings: list[Offering], now: datetime
) -> Documents:
    result = Documents()
    await _feedback(volume, bookings, now, result)
    await _invoices(volume, bookings, offerings, now, result)
    return result
