"""The feedback report of one session as a PDF, for the clerk to pass on to the mayor or the King's
Commissioner: organisation, offering, date, number of responses, per question the mean, the
distribution as a chart, and the open answers (escaped: they are the participants' own text).

Not stored: it is rendered from the current results on request. Refused below the threshold.
"""

from __future__ import annotations

from feedback.models import SessionFeedback
from feedback.results import SessionResults, TooFewResponses
from server.pdf import render_pdf
from server.templating import render_document

TEMPLATE = "pdf/feedback_report.html"


async def session_report_pdf(session: SessionFeedback, results: SessionResults) -> bytes:
    """The report of `session` (booking, organisation and offering fetched) from its `results`.

    Raises TooFewResponses (403) when the session has fewer responses than the threshold.
    """
    if not results.is_shown:
        raise TooFewResponses()
    html = render_document(
        TEMPLATE,
        {
            "reference": session.booking.reference,
            "organisation_name": session.booking.organisation.name,
            "offering_name": session.booking.offering.name,
            "held_at": session.opens_at,
            "results": results,
        },
    )
    return await render_pdf(html)


def report_filename(session: SessionFeedback) -> str:
    return f"feedbackrapport-{session.booking.reference}.pdf"
