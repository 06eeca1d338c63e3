"""The personal data register covers every model: a new model, or a new column that looks like
personal data, fails here until someone decides its export, erasure and retention."""

from __future__ import annotations

import re

from tortoise import Tortoise
from tortoise.fields.relational import ForeignKeyFieldInstance, OneToOneFieldInstance
from tortoise.models import Model

from server.app import personal_data_register
from server.models import User
from server.privacy import AnonymousText, NoPersonalData, PersonalData, Register

#: Column names that usually hold data about a person.
LOOKS_PERSONAL = re.compile(r"name|email|phone|address|contact|home|birth|ip_|agent|totp", re.IGNORECASE)


def all_models() -> list[type[Model]]:
    return [model for app in Tortoise.apps.values() for model in app.values()]


def unclassified(register: Register, models: list[type[Model]]) -> list[str]:
    classified = [entry.model for entry in register.entries]
    return [model.__name__ for model in models if classified.count(model) != 1]


def suspect_fields(model: type[Model]) -> set[str]:
    """Columns named like personal data, and links to an account."""
    suspects = set()
    for name, field in model._meta.fields_map.items():
        if isinstance(field, ForeignKeyFieldInstance | OneToOneFieldInstance):
            if field.related_model is User:
                suspects.add(name)
        elif LOOKS_PERSONAL.search(name) and name in model._meta.fields_db_projection:
            suspects.add(name)
    return suspects


def uncovered_fields(register: Register) -> list[str]:
    missing = []
    for entry in register.entries:
        if isinstance(entry, PersonalData):
            decided = set(entry.fields) | set(entry.reviewed)
        elif isinstance(entry, AnonymousText):
            decided = set(entry.fields)
        else:
            decided = set(entry.reviewed)
        undecided = sorted(suspect_fields(entry.model) - decided)
        missing += [f"{entry.model.__name__}.{name}" for name in undecided]
    return missing


async def test_every_model_is_classified_exactly_once() -> None:
    assert unclassified(personal_data_register(), all_models()) == []


async def test_a_model_left_out_of_the_register_is_reported() -> None:
    register = personal_data_register()
    without_users = Register(tuple(entry for entry in register.entries if entry.model is not User))
    assert unclassified(without_users, all_models()) == ["User"]


async def test_every_column_that_looks_personal_is_decided() -> None:
    assert uncovered_fields(personal_data_register()) == []


async def test_a_personal_column_declared_as_no_personal_data_is_reported() -> None:
    register = personal_data_register()
    entries = tuple(
        NoPersonalData(User, "vergeten") if entry.model is User else entry for entry in register.entries
    )
    assert set(uncovered_fields(Register(entries))) >= {"User.name", "User.email"}


async def test_declared_columns_exist_and_every_entry_has_its_rules() -> None:
    register = personal_data_register()
    sections = [entry.section for entry in register.personal]
    assert len(sections) == len(set(sections))
    for entry in register.entries:
        declared = getattr(entry, "fields", ()) + getattr(entry, "reviewed", ())
        assert set(declared) <= set(entry.model._meta.fields_map), entry.model.__name__
        if isinstance(entry, PersonalData | AnonymousText):
            assert entry.retention.strip(), entry.model.__name__
        if isinstance(entry, PersonalData):
            assert callable(entry.export) and callable(entry.erase)
        if isinstance(entry, NoPersonalData):
            assert entry.reason.strip()


#: Columns that hold an e-mail address: someone without an account is found by it.
ADDRESS_COLUMNS = re.compile(r"email|to_address", re.IGNORECASE)


async def test_every_entry_with_an_address_exports_and_erases_by_address() -> None:
    missing = [
        entry.model.__name__
        for entry in personal_data_register().personal
        if entry.model is not User  # an account's address is the account: its own export and erasure
        and any(ADDRESS_COLUMNS.search(name) for name in entry.fields)
        and entry not in personal_data_register().by_address
    ]
    assert missing == []
