"""Readable names for the objects on the audit page: "boeking WB-2026-0012" rather than "Booking 12".

The audit entry stores only the object's type and id (server/audit.py); the page looks the names up
for the rows it shows, a query per kind of object. An object that no longer exists keeps its number.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.i18n import _
from server.models import AuditEntry, Organisation


async def object_names(entries: Iterable[AuditEntry]) -> dict[tuple[str, str], str]:
    """(object_type, object_id) -> a Dutch name, for the bookings, feedback, invoices and organisations."""
    # The apps' models are imported here: they import server's modules, not the other way round.
    from bookings.models import Booking
    from feedback.models import SessionFeedback
    from invoicing.models import Invoice

    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.object_id.isdigit():
            wanted.setdefault(entry.object_type, set()).add(int(entry.object_id))
    names: dict[tuple[str, str], str] = {}
    if ids := wanted.get("Booking"):
        for pk, reference in await Booking.filter(id__in=ids).values_list("id", "reference"):
            names["Booking", str(pk)] = _("boeking %(reference)s") % {"reference": reference}
    if ids := wanted.get("SessionFeedback"):
        rows = await SessionFeedback.filter(id__in=ids).values_list("id", "booking__reference")
        for pk, reference in rows:
            text = _("feedback van boeking %(reference)s") % {"reference": reference}
            names["SessionFeedback", str(pk)] = text
    if ids := wanted.get("Invoice"):
        for pk, number in await Invoice.filter(id__in=ids).values_list("id", "number"):
            if number:
                text = _("factuur %(number)s") % {"number": number}
            else:
                text = _("conceptfactuur %(id)s") % {"id": pk}
            names["Invoice", str(pk)] = text
    if ids := wanted.get("Organisation"):
        for pk, name in await Organisation.filter(id__in=ids).values_list("id", "name"):
            names["Organisation", str(pk)] = _("organisatie %(name)s") % {"name": name}
    return names
