"""Export and erasure of one person through the register, checked against the whole database."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bookings.models import Booking, TrainerKind
from bookings.staffing_models import RequestStatus
from invoicing.models import Invoice
from server import clock
from server.app import personal_data_register
from server.models import AuditEntry, Role, User, UserSession, erased_email
from server.privacy import ERASED_NAME, ErasureRefused, erase_person, export_person
from tests.bookings.factories import make_booking, make_request, make_trainer
from tests.factories import make_organisation, make_user
from tests.privacy.people import make_person_everywhere, stored_anywhere


async def test_the_export_has_every_section_with_the_persons_data() -> None:
    person = await make_person_everywhere()
    coordinator = await make_user(Role.COORDINATOR)
    register = personal_data_register()

    user, content = await export_person(person.user.id, register, actor=coordinator)

    document = json.loads(content)
    assert user.id == person.user.id
    empty = [entry.section for entry in register.personal if not document["onderdelen"][entry.section]]
    assert empty == []
    text = content.decode()
    for identifier in person.identifiers[:-1]:  # everything but the authenticator secret
        assert identifier in text
    assert "JBSWY3DPEHPK3PXP" not in text and "code_hash" not in text
    assert document["bewaartermijnen"]["facturen"].startswith("Zeven jaar")
    entry = await AuditEntry.get(action="personal_data_exported")
    assert entry.actor_id == coordinator.id and entry.object_id == str(person.user.id)  # type: ignore[attr-defined]


async def test_erasure_leaves_nothing_that_identifies_the_person_but_keeps_history() -> None:
    person = await make_person_everywhere()
    coordinator = await make_user(Role.COORDINATOR)
    assert len(await stored_anywhere(person.identifiers)) >= 10

    changed = await erase_person(person.user.id, personal_data_register(), actor=coordinator)

    assert await stored_anywhere(person.identifiers) == []
    assert changed["account"] == 1 and changed["sessies"] == 1 and changed["boekingen"] == 2
    user = await User.get(id=person.user.id)
    assert (user.name, user.email, user.is_active) == (ERASED_NAME, erased_email(user.id), False)
    assert not await UserSession.filter(user=user).exists()
    booking = await Booking.get(requested_by=user)
    assert booking.contact_phone == "" and booking.status == "delivered"
    assert await Invoice.filter(issued_by=user, number="2026-9001").exists()
    entry = await AuditEntry.get(action="personal_data_erased")
    assert entry.summary.startswith(f"gebruiker #{user.id}: ") and entry.actor_id == coordinator.id  # type: ignore[attr-defined]


async def test_a_trainer_booked_for_a_coming_session_is_not_erased() -> None:
    trainer = await make_trainer(TrainerKind.TRAINER, name="Jan de Trainer")
    booking = await make_booking(starts_at=clock.now() + timedelta(days=10))
    await make_request(booking, trainer, TrainerKind.TRAINER, RequestStatus.ACCEPTED)
    coordinator = await make_user(Role.COORDINATOR)

    with pytest.raises(ErasureRefused) as refused:
        await erase_person(trainer.id, personal_data_register(), actor=coordinator)

    assert "1 komende sessie" in refused.value.message
    assert (await User.get(id=trainer.id)).name == "Jan de Trainer"
    assert not await AuditEntry.filter(action="personal_data_erased").exists()


async def test_nobody_erases_themselves_and_an_erased_account_is_not_erased_twice() -> None:
    coordinator = await make_user(Role.COORDINATOR)
    other = await make_user(Role.CLERK)
    register = personal_data_register()
    with pytest.raises(ErasureRefused):
        await erase_person(coordinator.id, register, actor=coordinator)

    await erase_person(other.id, register, actor=coordinator)
    with pytest.raises(ErasureRefused, match="al gewist"):
        await erase_person(other.id, register, actor=coordinator)


async def test_a_namesake_named_as_contact_elsewhere_is_neither_exported_nor_erased() -> None:
    clerk = await make_user(Role.CLERK, name="Jan de Vries", organisation=await make_organisation())
    own = await make_booking(organisation_id=clerk.organisation_id, contact_name="jan de vries")  # type: ignore[attr-defined]
    elsewhere = await make_booking(contact_name="Jan de Vries", contact_phone="06 99 99 99 99")
    coordinator = await make_user(Role.COORDINATOR)
    register = personal_data_register()

    _, content = await export_person(clerk.id, register, actor=coordinator)
    await erase_person(clerk.id, register, actor=coordinator)

    assert own.reference in content.decode()
    assert elsewhere.reference not in content.decode() and "06 99 99 99 99" not in content.decode()
    assert (await Booking.get(id=own.id)).contact_name != "jan de vries"
    assert (await Booking.get(id=elsewhere.id)).contact_name == "Jan de Vries"


async def test_a_single_word_name_is_not_replaced_inside_other_words() -> None:
    user = await make_user(Role.CLERK, name="Jan")
    coordinator = await make_user(Role.COORDINATOR)
    from server.audit import record

    await record(coordinator, "tour_target_set", None, "Doel gehaald in januari")

    await erase_person(user.id, personal_data_register(), actor=coordinator)

    assert await AuditEntry.filter(summary="Doel gehaald in januari").exists()
