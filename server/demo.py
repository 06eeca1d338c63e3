"""Deterministic demo data: a few provinces and municipalities and one user per role.

Loaded by `weerbaar demo` into a database without users; the full CBS list comes from
`weerbaar orgs import`. Coordinators and finance get a fixed TOTP secret so the demo can be
walked through without enrolling an authenticator app (development only).
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from server import clock
from server.auth import issue_login_link
from server.models import Organisation, OrganisationKind, Role, User
from server.users import add_user

PROVINCES = [("PV26", "Utrecht"), ("PV27", "Noord-Holland"), ("PV28", "Zuid-Holland")]
MUNICIPALITIES = [
    ("GM0363", "Amsterdam", "PV27"),
    ("GM0392", "Haarlem", "PV27"),
    ("GM0344", "Utrecht", "PV26"),
    ("GM0355", "Zeist", "PV26"),
    ("GM0518", "'s-Gravenhage", "PV28"),
    ("GM0599", "Rotterdam", "PV28"),
]
#: Base32 secret shared by the demo coordinator and finance user (never used outside development).
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 (public on purpose: demo only)


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: Role
    org_code: str = ""


DEMO_USERS = [
    DemoUser("coordinator@weerbaar.example", "Carla de Coördinator", Role.COORDINATOR),
    DemoUser("griffier.amsterdam@weerbaar.example", "Gijs Griffier", Role.CLERK, "GM0363"),
    DemoUser("griffier.utrecht@weerbaar.example", "Grietje van Dijk", Role.CLERK, "GM0344"),
    DemoUser("trainer@weerbaar.example", "Tamara Trainer", Role.TRAINER),
    DemoUser("moderator@weerbaar.example", "Mohamed Moderator", Role.TRAINER),
    DemoUser("financien@weerbaar.example", "Frank Financiën", Role.FINANCE),
]


async def load_demo() -> bool:
    """Load the demo data unless the database already has users; True when it was loaded."""
    if await User.exists():
        return False
    async with in_transaction():
        provinces = {}
        for code, name in PROVINCES:
            provinces[code], _ = await Organisation.get_or_create(
                cbs_code=code, defaults={"name": name, "kind": OrganisationKind.PROVINCE}
            )
        for code, name, province_code in MUNICIPALITIES:
            await Organisation.get_or_create(
                cbs_code=code,
                defaults={
                    "name": name,
                    "kind": OrganisationKind.MUNICIPALITY,
                    "province": provinces[province_code],
                },
            )
        await Organisation.filter(cbs_code="GM0363").update(
            invoice_street="Amstel 1",
            invoice_postcode="1011 PN",
            invoice_city="Amsterdam",
            invoice_email="facturen@amsterdam.example",
            oin="00000001002564440000",
            requires_po_number=True,
        )
        for demo in DEMO_USERS:
            user = await add_user(demo.email, demo.name, demo.role, demo.org_code)
            if demo.role.needs_second_factor:
                await User.filter(id=user.id).update(
                    totp_secret=DEMO_TOTP_SECRET, totp_confirmed_at=clock.now()
                )
    return True


async def demo_login_links(base_url: str) -> list[tuple[DemoUser, str]]:
    links = []
    async with in_transaction():
        for demo in DEMO_USERS:
            user = await User.get_or_none(email=demo.email, is_active=True)
            if user is not None:
                links.append((demo, await issue_login_link(user, base_url)))
    return links
