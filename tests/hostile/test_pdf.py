"""Hostile text in every kind of PDF stays text, and WeasyPrint fetches nothing outside the project's
own static files (issue 8).

A canary HTTP server on loopback counts every request. Names of organisations and offerings, invoice
addresses and the participants' open answers are set to markup that would fetch from it (an image, a
stylesheet, CSS `@import` and `url()`) or read a local file. Each PDF kind is then made the way the app
makes it: the quote, the invoice, the credit note, the feedback report, the hand-out and the
ministry report. The canary must see no request, the local file must not show up, and the text must
be in the PDF literally (it was escaped, not interpreted).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from bookings.models import Offering
from feedback import codes
from feedback.models import Answer
from invoicing import documents
from invoicing.credits import credit_invoice
from invoicing.drafts import create_draft_for_booking
from invoicing.issuing import issue_invoice
from invoicing.models import Invoice
from server import clock
from server.models import Organisation, Role
from server.pdf import render_pdf
from server.templating import environment
from tests.factories import make_user, sign_in
from tests.feedback.test_results import add_responses, make_session
from tests.invoicing.factories import billed_organisation, complete_seller_settings, delivered_training
from tests.reporting.test_ministry import make_tour
from tests.smtp import free_port


@dataclass
class Canary:
    port: int
    hits: list[str] = field(default_factory=list)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


@pytest.fixture
def canary() -> Iterator[Canary]:
    found = Canary(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found.hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"p { color: red }")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", found.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


def hostile_markup(canary: Canary) -> str:
    """At most 200 characters (a name's length): an image, a stylesheet and a local file."""
    return (
        f'<img src="{canary.url("img")}"><link rel="stylesheet" href="{canary.url("css")}">'
        '<img src="file:///etc/passwd">{{ 7*7 }}'
    )


def hostile_css(canary: Canary) -> str:
    return (
        f'<style>@import url("{canary.url("import")}"); p {{ background: url({canary.url("bg")}) }}</style>'
    )


def text_of(pdf: bytes) -> str:
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def assert_inert(pdf: bytes, canary: Canary, literal: str, kind: str) -> None:
    text = text_of(pdf)
    assert canary.hits == [], kind
    assert "root:" not in text, kind  # /etc/passwd did not get in
    assert "".join(literal.split()) in text, f"{kind}: the hostile text is not shown literally"


async def make_everything_hostile(canary: Canary) -> None:
    await Organisation.all().update(name=hostile_markup(canary), invoice_street=hostile_css(canary)[:200])
    await Offering.all().update(name=hostile_markup(canary))
    await Answer.filter(text__isnull=False).update(text=hostile_css(canary) + hostile_markup(canary))


async def test_raw_html_cannot_make_weasyprint_fetch_anything(canary: Canary) -> None:
    """The fetcher itself, given the markup unescaped: every reference is refused before any I/O."""
    html = f"""<html><head>{hostile_css(canary)}
        <link rel="stylesheet" href="{canary.url("link")}">
        <style>@font-face {{ font-family: x; src: url({canary.url("font")}) }}
        body {{ font-family: x }}</style>
        </head><body><p>Zichtbaar</p>
        <img src="{canary.url("img")}"><img src="file:///etc/passwd">
        <object data="{canary.url("object")}"></object><embed src="{canary.url("embed")}">
        <iframe src="{canary.url("iframe")}"></iframe>
        <svg><image href="{canary.url("svg")}" width="10" height="10"/></svg>
        <link rel="attachment" href="file:///etc/passwd"><a rel="attachment" href="{canary.url("a")}">x</a>
        </body></html>"""

    pdf = await render_pdf(html)

    assert canary.hits == []
    assert "Zichtbaar" in text_of(pdf) and "root:" not in text_of(pdf)
    assert not PdfReader(io.BytesIO(pdf)).attachments


async def test_every_pdf_kind_keeps_hostile_names_and_answers_inert(
    client: httpx.AsyncClient, canary: Canary
) -> None:
    organisation = await billed_organisation()
    booking = await delivered_training(organisation, starts_at=clock.now() - timedelta(days=1))
    session = await make_session(booking)
    await add_responses(session, 5)
    slip_code = codes.grouped((await codes.issue(session, 1))[0])
    finance = await make_user(Role.FINANCE)
    await complete_seller_settings()
    await make_everything_hostile(canary)
    draft = await create_draft_for_booking(booking.id)
    invoice = await issue_invoice(draft.id, actor=finance)
    credit_note = await credit_invoice(invoice.id, None, reason="Training gaat niet door", actor=finance)
    await sign_in(client, await make_user(Role.COORDINATOR))
    code, reference = organisation.cbs_code, booking.reference
    downloads = {
        "quote": f"/organisaties/{code}/boeken/{booking.offering_id}/offerte.pdf?deelnemers=10",  # type: ignore[attr-defined]
        "feedback report": f"/feedback/sessies/{reference}/rapport.pdf",
        "hand-out": f"/feedback/sessies/{reference}/uitdeelblad.pdf",
    }
    pdfs = {
        "invoice": (await documents.with_documents(await Invoice.get(id=invoice.id))).pdf,
        "credit note": (await documents.with_documents(await Invoice.get(id=credit_note.id))).pdf,
    }
    for kind, url in downloads.items():
        response = await client.get(url)
        assert response.status_code == 200, (kind, response.text[:300])
        pdfs[kind] = response.content

    for kind, pdf in pdfs.items():
        literal = hostile_markup(canary) if kind != "hand-out" else slip_code
        assert_inert(bytes(pdf), canary, literal, kind)
    assert "".join(hostile_css(canary).split()) in text_of(pdfs["feedback report"])


async def test_the_ministry_report_keeps_hostile_names_inert(
    client: httpx.AsyncClient, canary: Canary
) -> None:

    await make_tour()
    await make_everything_hostile(canary)
    await sign_in(client, await make_user(Role.COORDINATOR))

    response = await client.get("/coordinatie/rapportage/2026-K3.pdf")

    assert response.status_code == 200
    assert canary.hits == []
    assert "root:" not in text_of(response.content)


async def test_a_footer_cannot_leave_its_css_string() -> None:
    """The footer text goes into a CSS string in a `<style>` element (templates/pdf/base.html)."""
    hostile = 'Zeist"; } @page { size: A3 } </style><p>los</p> \\" & \n einde'
    template = environment().from_string(
        '{% extends "pdf/base.html" %}{% block footer %}{{ name }}{% endblock %}'
        "{% block content %}<p>Inhoud</p>{% endblock %}"
    )

    pdf = await render_pdf(template.render(name=hostile))

    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4
    assert "".join(hostile.split()) in text_of(pdf)
