"""Personal data: where it is stored, a person's export, and erasure.

Every model of every domain is classified in a register (`PersonalData`, `AnonymousText` or
`NoPersonalData`); each domain declares its own in `<domain>/personal_data.py` and `server/app.py`
puts them together. The register is the single answer to "what do we hold about this person":

- export: each `PersonalData` entry lists its rows about a user; together one JSON file;
- erasure: each entry removes or anonymises its part in one transaction, the account last; entries
  may name reasons to wait (a trainer still booked for a coming session). Invoices stay (fiscal law);
- retention: each entry states its rule in words (the privacy statement and README show them); the
  purges run as periodic jobs.

tests/privacy checks that no model holding personal data is missing from the register.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from babel.support import LazyProxy
from tortoise.models import Model
from tortoise.transactions import in_transaction

from server import clock
from server.audit import record
from server.errors import DomainError, Forbidden, NotFound
from server.i18n import _
from server.models import Role, User

Rows = list[dict[str, object]]

#: What an erased account's name becomes; its address becomes `erased_email(user_id)`. Stored data,
#: so in Dutch and not translated: every reader sees the name that was written.
ERASED_NAME = "Verwijderde gebruiker"


@dataclass(frozen=True)
class PersonalData:
    """A model holding data about people with an account.

    `fields` are its columns with personal data (or a link to the account), `reviewed` columns that
    look personal but are not; `export` lists the rows about a user, `erase` removes or anonymises
    them and returns how many rows it changed (it runs inside the erasure's transaction, before the
    account itself is anonymised), `blockers` gives reasons why the person cannot be erased yet.
    """

    model: type[Model]
    section: str
    fields: tuple[str, ...]
    export: Callable[[User], Awaitable[Rows]]
    erase: Callable[[User], Awaitable[int]]
    retention: str | LazyProxy
    blockers: Callable[[User], Awaitable[list[str]]] | None = None
    reviewed: tuple[str, ...] = ()
    #: For people without an account (a contact, a participant who left an address): the rows
    #: about an e-mail address, and their erasure. Required when `fields` hold an address.
    export_address: Callable[[str], Awaitable[Rows]] | None = None
    erase_address: Callable[[str], Awaitable[int]] | None = None


@dataclass(frozen=True)
class AnonymousText:
    """Free text from people without an account (feedback answers): it links to nobody, so it has
    no export or erasure, only a retention period that a periodic job enforces."""

    model: type[Model]
    section: str
    fields: tuple[str, ...]
    retention: str | LazyProxy


@dataclass(frozen=True)
class NoPersonalData:
    """A model without personal data; `reviewed` names columns that look personal but are not."""

    model: type[Model]
    reason: str | LazyProxy
    reviewed: tuple[str, ...] = field(default=())


Entry = PersonalData | AnonymousText | NoPersonalData


@dataclass(frozen=True)
class Register:
    entries: tuple[Entry, ...]

    @property
    def personal(self) -> list[PersonalData]:
        return [entry for entry in self.entries if isinstance(entry, PersonalData)]

    @property
    def by_address(self) -> list[PersonalData]:
        """The entries that find a person without an account by their e-mail address."""
        return [entry for entry in self.personal if entry.export_address and entry.erase_address]

    def retention_rules(self) -> list[tuple[str, str]]:
        """(section, rule) for every model with personal data, for the privacy statement."""
        return [
            (entry.section, str(entry.retention))
            for entry in self.entries
            if isinstance(entry, PersonalData | AnonymousText)
        ]


async def keep_link(user: User) -> int:
    """Erasure for rows that only point at the account: the anonymised account is all they show."""
    return 0


def plain(value: object) -> object:
    """A value as JSON can hold it."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def plain_rows(rows: Sequence[dict[str, object]]) -> Rows:
    return [{key: plain(value) for key, value in row.items()} for row in rows]


async def _subject(user_id: int, actor: User | None) -> User:
    if actor is not None and actor.role is not Role.COORDINATOR:
        raise Forbidden()
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound()
    return user


async def export_person(user_id: int, register: Register, *, actor: User | None) -> tuple[User, bytes]:
    """Everything the register holds about one user, as a JSON file; the export is audited.

    `actor` None is support at the command line. Raises `NotFound`, `Forbidden` (not a coordinator).
    """
    user = await _subject(user_id, actor)
    sections = {entry.section: plain_rows(await entry.export(user)) for entry in register.personal}
    document = {
        "export_van": f"{user.name} <{user.email}>",
        "gemaakt_op": clock.now().isoformat(),
        "toelichting": _(
            "Alle gegevens die Weerbaar over deze persoon bewaart, per onderdeel. Facturen "
            "bewaren wij zeven jaar (fiscale bewaarplicht)."
        ),
        "bewaartermijnen": dict(register.retention_rules()),
        "onderdelen": sections,
    }
    async with in_transaction():
        await record(actor, "personal_data_exported", user, f"gebruiker #{user.id}")
    return user, json.dumps(document, ensure_ascii=False, indent=2).encode()


class ErasureRefused(DomainError):
    status_code = 409

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


async def erasure_blockers(user: User, register: Register, *, actor: User | None) -> list[str]:
    """Why this account cannot be erased now (empty: it can)."""
    reasons = []
    if actor is not None and actor.id == user.id:
        reasons.append(_("U kunt uw eigen gegevens niet zelf wissen; vraag een andere coördinator."))
    if user.is_erased:
        reasons.append(_("De gegevens van dit account zijn al gewist."))
    for entry in register.personal:
        if entry.blockers is not None:
            reasons += await entry.blockers(user)
    return reasons


async def erasure_preview(user_id: int, register: Register, *, actor: User) -> tuple[User, list[str]]:
    """The user a coordinator is about to erase, with the reasons it would be refused now (empty:
    it may go ahead). Raises `NotFound`, `Forbidden` (not a coordinator)."""
    user = await _subject(user_id, actor)
    return user, await erasure_blockers(user, register, actor=actor)


async def erase_person(user_id: int, register: Register, *, actor: User | None) -> dict[str, int]:
    """Remove or anonymise everything the register holds about a user, in one transaction.

    The account stays as an anonymous, deactivated row so that bookings, assignments, invoices and
    the audit log keep their history. Raises `ErasureRefused` (409) with the reasons to wait,
    `NotFound`, `Forbidden`. Returns the rows changed per section; the audit entry names only the id.
    """
    user = await _subject(user_id, actor)
    async with in_transaction():
        user = await User.select_for_update().get(id=user.id)
        reasons = await erasure_blockers(user, register, actor=actor)
        if reasons:
            raise ErasureRefused(reasons)
        # The account last: the other entries find their rows by its name and address.
        ordered = sorted(register.personal, key=lambda entry: entry.model is User)
        changed = {entry.section: await entry.erase(user) for entry in ordered}
        await record(
            actor,
            "personal_data_erased",
            user,
            f"gebruiker #{user.id}: "
            + ", ".join(f"{section} {count}" for section, count in changed.items() if count),
        )
    return changed


class AddressHasAccount(DomainError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__(
            _("Dit adres hoort bij een account: gebruik de inzage en het wissen van die gebruiker.")
        )


async def _address_subject(email: str, actor: User | None) -> str:
    if actor is not None and actor.role is not Role.COORDINATOR:
        raise Forbidden()
    address = email.strip().lower()
    if not address or "@" not in address:
        raise NotFound()
    if await User.exists(email=address):
        raise AddressHasAccount()
    return address


def _address_label(address: str) -> str:
    """How the audit log names an address without holding it: a short hash."""
    return "adres " + hashlib.sha256(address.encode()).hexdigest()[:12]


async def export_address(email: str, register: Register, *, actor: User | None) -> bytes:
    """Everything held about a person without an account (a contact, a participant's contact
    request), found by their e-mail address, as a JSON file; audited. Raises `AddressHasAccount`
    (use the account's export), `Forbidden`, `NotFound`."""
    address = await _address_subject(email, actor)
    sections = {}
    for entry in register.by_address:
        assert entry.export_address is not None
        sections[entry.section] = plain_rows(await entry.export_address(address))
    document = {
        "export_van": address,
        "gemaakt_op": clock.now().isoformat(),
        "bewaartermijnen": {entry.section: str(entry.retention) for entry in register.by_address},
        "onderdelen": sections,
    }
    async with in_transaction():
        await record(actor, "personal_data_exported", None, _address_label(address))
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


async def erase_address(email: str, register: Register, *, actor: User | None) -> dict[str, int]:
    """Remove or anonymise everything held about an e-mail address without an account, in one
    transaction; the audit entry names only a hash of the address. Raises `AddressHasAccount`,
    `Forbidden`, `NotFound`."""
    address = await _address_subject(email, actor)
    async with in_transaction():
        changed = {}
        for entry in register.by_address:
            assert entry.erase_address is not None
            changed[entry.section] = await entry.erase_address(address)
        await record(
            actor,
            "personal_data_erased",
            None,
            f"{_address_label(address)}: "
            + ", ".join(f"{section} {count}" for section, count in changed.items() if count),
        )
    return changed
