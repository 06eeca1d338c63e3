"""Demo contacts: a griffier and the mayor or King's Commissioner of each demo organisation.

The griffiers of Amsterdam and Utrecht are the demo clerks (same address); the others have no account,
so inviting Utrecht province on /tour shows a griffier becoming a clerk through the mail's link.
"""

from __future__ import annotations

from bookings.contacts_models import Contact, ContactFunction
from server.models import Organisation

G, B, C = ContactFunction.GRIFFIER, ContactFunction.BURGEMEESTER, ContactFunction.COMMISSARIS
DEMO_CONTACTS = [
    ("GM0363", G, "Gijs Griffier", "griffier.amsterdam@weerbaar.example", "+31 20 123 4567"),
    ("GM0363", B, "Femke van Amstel", "burgemeester.amsterdam@weerbaar.example", ""),
    ("GM0344", G, "Grietje van Dijk", "griffier.utrecht@weerbaar.example", "+31 30 286 0000"),
    ("GM0344", B, "Sharon Domstad", "burgemeester.utrecht@weerbaar.example", ""),
    ("GM0355", G, "Petra Jansen", "griffier.zeist@weerbaar.example", "+31 30 698 7911"),
    ("GM0355", B, "Koos Klaver", "burgemeester.zeist@weerbaar.example", ""),
    ("GM0392", G, "Hanneke Spaarne", "griffier.haarlem@weerbaar.example", ""),
    ("GM0518", G, "Diederik Hofvijver", "griffier.denhaag@weerbaar.example", ""),
    ("GM0599", G, "Rachid Maas", "griffier.rotterdam@weerbaar.example", ""),
    ("PV26", G, "Wouter Stichts", "griffier.provincie-utrecht@weerbaar.example", ""),
    ("PV26", C, "Hanna Hofman", "cdk.utrecht@weerbaar.example", ""),
    ("PV27", G, "Noor Duinen", "griffier.noord-holland@weerbaar.example", ""),
    ("PV28", G, "Lotte Veenstra", "griffier.zuid-holland@weerbaar.example", ""),
    ("PV28", C, "Zeger Hollands", "cdk.zuid-holland@weerbaar.example", ""),
]


async def load_demo_contacts() -> None:
    """Call inside the demo's transaction, after the organisations exist."""
    organisations = {o.cbs_code: o for o in await Organisation.all()}
    await Contact.bulk_create(
        [
            Contact(organisation=organisations[code], function=function, name=name, email=email, phone=phone)
            for code, function, name, email, phone in DEMO_CONTACTS
            if code in organisations
        ]
    )
