"""Named errors of the bookings domain.

IllegalTransition (409)  the booking is not in a state that allows this step
BookingRuleBroken (400)  a booking rule, tied to a form field (see DomainError.field)
"""

from __future__ import annotations

from server.errors import DomainError
from server.i18n import _


class IllegalTransition(DomainError):
    status_code = 409

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Dit kan niet meer in de huidige stand van de boeking."))


class BookingRuleBroken(DomainError):
    status_code = 400
