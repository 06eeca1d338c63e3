"""The personal data of feedback: participants stay anonymous; an address left for contact is theirs."""

from __future__ import annotations

from feedback.models import (
    Answer,
    ContactRequest,
    FeedbackForm,
    Lead,
    OfferingForm,
    ParticipantCode,
    Question,
    Response,
    SessionFeedback,
)
from server.i18n import lazy_gettext
from server.models import User
from server.privacy import AnonymousText, Entry, NoPersonalData, PersonalData, Rows


async def _contact_requests(user: User) -> Rows:
    return await ContactRequest.filter(email__iexact=user.email).values(
        "session__booking__reference", "email", "created_at", "done_at"
    )


async def _delete_contact_requests(user: User) -> int:
    return await ContactRequest.filter(email__iexact=user.email).delete()


async def _contact_requests_from(address: str) -> Rows:
    return await ContactRequest.filter(email__iexact=address).values(
        "session__booking__reference", "email", "created_at", "done_at"
    )


async def _delete_contact_requests_from(address: str) -> int:
    return await ContactRequest.filter(email__iexact=address).delete()


ENTRIES: list[Entry] = [
    NoPersonalData(FeedbackForm, lazy_gettext("Feedbackformulieren van het team."), reviewed=("name",)),
    NoPersonalData(Question, lazy_gettext("Vragen van een formulier.")),
    NoPersonalData(OfferingForm, lazy_gettext("Welk formulier bij welk aanbod hoort.")),
    NoPersonalData(SessionFeedback, lazy_gettext("De feedbacklink van een sessie.")),
    NoPersonalData(
        ParticipantCode,
        lazy_gettext(
            "Een code voor één reactie: aan niemand gekoppeld, ook niet aan de reactie waarvoor hij diende."
        ),
    ),
    NoPersonalData(
        Response,
        lazy_gettext(
            "Een anonieme inzending: alleen de hash van een willekeurig cookie, geen naam of IP-adres."
        ),
    ),
    AnonymousText(
        Answer,
        "open antwoorden",
        ("text",),
        lazy_gettext(
            "Open antwoorden: 24 maanden na de sessie verwijderd (WEERBAAR_FEEDBACK_TEXT_RETENTION_MONTHS)."
        ),
    ),
    NoPersonalData(
        Lead,
        lazy_gettext(
            "Een lead van een organisatie; de coördinator die hem oppakt is een teamlid (leeg als het "
            "account verdwijnt), het adres van een contactverzoek staat alleen bij dat verzoek."
        ),
        reviewed=("owner", "contact_request_id"),
    ),
    PersonalData(
        ContactRequest,
        "contactverzoeken",
        ("email",),
        _contact_requests,
        _delete_contact_requests,
        lazy_gettext(
            "Verwijderd zodra het contact heeft plaatsgevonden, uiterlijk na 12 maanden "
            "(WEERBAAR_FEEDBACK_CONTACT_RETENTION_MONTHS)."
        ),
        export_address=_contact_requests_from,
        erase_address=_delete_contact_requests_from,
    ),
]
