"""API v1: a session's feedback results, aggregates only (no open answers), and only as the results
page shows them: after the form has closed and from the anonymity threshold on."""

from __future__ import annotations

from typing import Any

from feedback.models import QuestionKind
from feedback.policy import FeedbackPolicy
from feedback.results import session_for, session_results
from server.api import ApiCall, Operation
from server.models import ApiScope, Role

RESULTS = {
    "type": "object",
    "required": ["bookingReference", "responseCount", "threshold", "isClosed", "isShown", "questions"],
    "properties": {
        "bookingReference": {"type": "string"},
        "responseCount": {"type": "integer"},
        "threshold": {"type": "integer", "description": "Minimum aantal reacties voor resultaten."},
        "isClosed": {"type": "boolean"},
        "isShown": {"type": "boolean", "description": "Gesloten en genoeg reacties: anders geen vragen."},
        "questions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["position", "kind", "text", "distribution", "mean"],
                "properties": {
                    "position": {"type": "integer"},
                    "kind": {"type": "string", "enum": [k.value for k in QuestionKind]},
                    "text": {"type": "string"},
                    "distribution": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["label", "count"],
                            "properties": {"label": {"type": "string"}, "count": {"type": "integer"}},
                        },
                    },
                    "mean": {"type": "number", "nullable": True},
                },
            },
        },
    },
}


async def read_results(call: ApiCall) -> dict[str, Any]:
    session = await session_for(call.user, call.path["reference"])
    policy = FeedbackPolicy.from_settings(call.request.app.state.settings)
    results = await session_results(session, policy, viewer=call.user)
    questions = [
        {
            "position": q.position,
            "kind": q.kind.value,
            "text": q.text,
            "distribution": [{"label": label, "count": count} for label, count in q.distribution],
            "mean": q.mean,
        }
        for q in results.questions
        if not q.is_text
    ]
    return {
        "bookingReference": session.booking.reference,
        "responseCount": results.count,
        "threshold": results.threshold,
        "isClosed": results.is_closed,
        "isShown": results.is_shown,
        "questions": questions if results.is_shown else [],
    }


operations = [
    Operation(
        "GET",
        "/bookings/{reference}/feedback-results",
        "readFeedbackResults",
        "Feedbackresultaten van een sessie",
        "feedback",
        ApiScope.READ,
        frozenset({Role.COORDINATOR, Role.CLERK, Role.TRAINER}),
        read_results,
        RESULTS,
        description="Alleen totalen per vraag, geen open antwoorden; pas na sluiting en vanaf de "
        "drempel, net als op de resultatenpagina.",
    ),
]
