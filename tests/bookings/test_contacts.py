"""Contacts of an organisation: the rules, the CSV import (service and command), the pages."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bookings import contacts
from bookings.contacts_models import Contact, ContactFunction
from server.errors import Forbidden, NotFound, ValidationFailed
from server.models import AuditEntry, Organisation, Role
from tests.cli import weerbaar
from tests.factories import csrf_token, make_organisation, make_province, make_user, post, sign_in

GOOD = {
    "name": "Petra Jansen",
    "function": "griffier",
    "email": " Petra.Jansen@Zeist.NL ",
    "phone": "030 123 45 67",
}


async def test_a_clerk_adds_changes_and_removes_a_contact_of_their_own_organisation() -> None:
    zeist = await make_organisation(name="Zeist")
    clerk = await make_user(Role.CLERK, organisation=zeist)
    contact = await contacts.add_contact(zeist, GOOD, actor=clerk)
    assert (contact.email, contact.function, contact.phone) == (
        "petra.jansen@zeist.nl",
        ContactFunction.GRIFFIER,
        "+31 30 123 4567",
    )
    changed = await contacts.update_contact(zeist, contact.id, {**GOOD, "notes": "Ook AOV"}, actor=clerk)
    assert changed.notes == "Ook AOV"
    await contacts.remove_contact(zeist, contact.id, actor=clerk)
    assert not await Contact.exists(id=contact.id)
    assert (
        await AuditEntry.filter(action__in=["contact_added", "contact_changed", "contact_removed"]).count()
        == 3
    )


async def test_a_clerk_of_another_organisation_and_a_trainer_are_refused() -> None:
    zeist = await make_organisation()
    with pytest.raises(NotFound):
        await contacts.add_contact(zeist, GOOD, actor=await make_user(Role.CLERK))
    with pytest.raises(Forbidden):
        await contacts.add_contact(zeist, GOOD, actor=await make_user(Role.TRAINER))
    assert await Contact.all().count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "geen-adres"}, "email"),
        ({"email": "a@zeist.nl, b@zeist.nl"}, "email"),
        ({"email": "Petra <petra@zeist.nl>"}, "email"),
        ({"email": ""}, "email"),
        ({"name": " "}, "name"),
        ({"function": "wethouder"}, "function"),
        ({"function": "commissaris"}, "function"),  # a municipality has a mayor
        ({"phone": "bel mij"}, "phone"),
    ],
)
async def test_bad_input_is_refused_at_the_field_and_nothing_is_stored(
    changes: dict[str, str], field: str
) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    with pytest.raises(ValidationFailed) as refused:
        await contacts.add_contact(await make_organisation(), {**GOOD, **changes}, actor=coordinator)
    assert field in refused.value.errors
    assert await Contact.all().count() == 0


async def test_an_address_is_at_most_once_per_organisation() -> None:
    coordinator = await make_user(Role.COORDINATOR)
    zeist, houten = await make_organisation(), await make_organisation()
    await contacts.add_contact(zeist, GOOD, actor=coordinator)
    await contacts.add_contact(houten, GOOD, actor=coordinator)  # another organisation: fine
    with pytest.raises(ValidationFailed) as refused:
        await contacts.add_contact(zeist, {**GOOD, "email": "PETRA.JANSEN@zeist.nl"}, actor=coordinator)
    assert "email" in refused.value.errors


CSV = """cbs_code,function,name,email,phone
{zeist},griffier,Petra Jansen,petra@zeist.nl,030 1234567
{zeist},burgemeester,Koos Klaver,KOOS@zeist.nl,
{province},commissaris,Hanna Hofman,cdk@provincie.nl,
GM9999,griffier,Niemand,niemand@nergens.nl,
{zeist},wethouder,Wim Wethouder,wim@zeist.nl,
{zeist},griffier,Bert Fout,bert@@zeist.nl,
{zeist},griffier,,leeg@zeist.nl,
{province},burgemeester,Bea Verkeerd,bea@provincie.nl,
GM03550,griffier,Te Lang,telang@zeist.nl,
"""


async def _organisations() -> tuple[Organisation, Organisation]:
    province = await make_province(cbs_code="PV26", name="Utrecht")
    zeist = await make_organisation(cbs_code="GM0355", name="Zeist", province=province)
    return province, zeist


async def test_the_import_reports_every_row_and_a_rerun_changes_nothing() -> None:
    province, zeist = await _organisations()
    text = CSV.format(zeist=zeist.cbs_code, province=province.cbs_code)
    report = await contacts.import_contacts(text, source="test.csv")
    outcomes = [(row.line, row.outcome, row.reason) for row in report.rows]
    assert [o[1] for o in outcomes] == ["created"] * 3 + ["refused"] * 6
    reasons = [o[2] for o in outcomes[3:]]
    assert reasons[0] == "onbekende CBS-code"
    assert "Onbekende functie" in reasons[1]
    assert "e-mailadres" in reasons[2]
    assert "naam" in reasons[3]
    assert "commissaris van de Koning" in reasons[4]
    assert reasons[5] == "onbekende CBS-code"
    assert await Contact.all().count() == 3
    assert await Contact.exists(organisation=zeist, email="koos@zeist.nl", function="burgemeester")
    before = {c.id: c.updated_at for c in await Contact.all()}

    again = await contacts.import_contacts(text, source="test.csv")
    assert [row.outcome for row in again.rows][:3] == ["unchanged"] * 3
    assert {c.id: c.updated_at for c in await Contact.all()} == before

    changed = text.replace("030 1234567", "030 7654321")
    third = await contacts.import_contacts(changed, source="test.csv")
    assert third.rows[0].outcome == "updated"
    assert (await Contact.get(email="petra@zeist.nl")).phone == "+31 30 765 4321"


async def test_the_import_keeps_notes_people_wrote() -> None:
    province, zeist = await _organisations()
    coordinator = await make_user(Role.COORDINATOR)
    await contacts.add_contact(
        zeist,
        {"name": "Petra Jansen", "function": "griffier", "email": "petra@zeist.nl", "notes": "Belt liever"},
        actor=coordinator,
    )
    await contacts.import_contacts(CSV.format(zeist=zeist.cbs_code, province=province.cbs_code), source="x")
    assert (await Contact.get(email="petra@zeist.nl")).notes == "Belt liever"


async def test_a_file_with_other_columns_is_refused_whole() -> None:
    with pytest.raises(contacts.ImportFailed):
        await contacts.import_contacts("code,naam\nGM0355,Petra\n", source="x")


async def test_the_command_imports_and_reports_per_row(fresh_url: str, tmp_path: Path) -> None:
    assert weerbaar(fresh_url, "migrate").returncode == 0
    path = tmp_path / "provincies.csv"
    path.write_text("cbs_code,name\nPV26,Utrecht\n")
    assert weerbaar(fresh_url, "orgs", "import", str(path)).returncode == 0
    file = tmp_path / "contacten.csv"
    file.write_text(
        "cbs_code,function,name,email,phone\n"
        "PV26,commissaris,Hanna Hofman,cdk@utrecht.nl,\n"
        "PV99,griffier,Niemand,niemand@nergens.nl,\n"
    )
    first = weerbaar(fresh_url, "contacts", "import", str(file))
    assert first.returncode == 1, first.stderr
    assert "1 nieuw, 0 bijgewerkt, 0 ongewijzigd, 1 geweigerd" in first.stdout
    assert "regel 3 PV99 niemand@nergens.nl: geweigerd: onbekende CBS-code" in first.stdout
    second = weerbaar(fresh_url, "contacts", "import", str(file))
    assert "0 nieuw, 0 bijgewerkt, 1 ongewijzigd, 1 geweigerd" in second.stdout


async def test_the_organisation_page_lists_and_adds_contacts(client: httpx.AsyncClient) -> None:
    zeist = await make_organisation(name="Zeist")
    clerk = await make_user(Role.CLERK, organisation=zeist)
    await sign_in(client, clerk)
    added = await post(client, f"/organisaties/{zeist.cbs_code}/contactpersonen", GOOD)
    assert added.status_code == 303
    assert (
        added.headers["location"] == f"/organisaties/{zeist.cbs_code}?melding=contactpersoon#contactpersonen"
    )
    page = await client.get(f"/organisaties/{zeist.cbs_code}?melding=contactpersoon")
    assert "Petra Jansen" in page.text and "petra.jansen@zeist.nl" in page.text
    assert "De contactpersoon is opgeslagen." in page.text

    bad = await post(client, f"/organisaties/{zeist.cbs_code}/contactpersonen", {**GOOD, "email": "fout"})
    assert bad.status_code == 400
    assert "Vul één geldig e-mailadres in" in bad.text and 'value="fout"' in bad.text
    assert await Contact.all().count() == 1

    contact = await Contact.get()
    form = await client.get(f"/organisaties/{zeist.cbs_code}/contactpersonen/{contact.id}")
    assert form.status_code == 200 and "Petra Jansen" in form.text
    saved = await post(
        client,
        f"/organisaties/{zeist.cbs_code}/contactpersonen/{contact.id}",
        {**GOOD, "name": "Petra de Vries"},
    )
    assert saved.status_code == 303
    assert (await Contact.get(id=contact.id)).name == "Petra de Vries"
    removed = await post(client, f"/organisaties/{zeist.cbs_code}/contactpersonen/{contact.id}/verwijderen")
    assert removed.status_code == 303 and not await Contact.exists(id=contact.id)
    gone = await client.get(f"/organisaties/{zeist.cbs_code}/contactpersonen/{contact.id}")
    assert gone.status_code == 404


async def test_finance_sees_the_organisation_page_without_contacts(client: httpx.AsyncClient) -> None:
    zeist = await make_organisation(name="Zeist")
    await Contact.create(organisation=zeist, name="Petra Jansen", function="griffier", email="petra@zeist.nl")
    await sign_in(client, await make_user(Role.FINANCE))
    page = await client.get(f"/organisaties/{zeist.cbs_code}")
    assert page.status_code == 200 and "petra@zeist.nl" not in page.text


async def test_a_coordinator_uploads_a_contacts_file_and_sees_the_report(client: httpx.AsyncClient) -> None:
    province, zeist = await _organisations()
    await sign_in(client, await make_user(Role.COORDINATOR))
    assert (await client.get("/contactpersonen/importeren")).status_code == 200
    text = CSV.format(zeist=zeist.cbs_code, province=province.cbs_code)
    response = await client.post(
        "/contactpersonen/importeren",
        data={"csrf_token": csrf_token(client)},
        files={"file": ("contacten.csv", text.encode(), "text/csv")},
    )
    assert response.status_code == 200
    assert "3 nieuw, 0 bijgewerkt, 0 ongewijzigd, 6 geweigerd" in response.text
    assert "onbekende CBS-code" in response.text
    assert await Contact.all().count() == 3

    wrong = await client.post(
        "/contactpersonen/importeren",
        data={"csrf_token": csrf_token(client)},
        files={"file": ("contacten.csv", b"\xff\xfe\x00", "text/csv")},
    )
    assert wrong.status_code == 400 and "UTF-8" in wrong.text
    none = await client.post("/contactpersonen/importeren", data={"csrf_token": csrf_token(client)})
    assert none.status_code == 400 and "Kies een CSV-bestand" in none.text


async def test_the_demo_has_a_griffier_for_every_demo_organisation() -> None:
    from bookings.contacts_demo import DEMO_CONTACTS
    from bookings.demo import load_bookings_demo
    from server.demo import load_demo

    await load_demo()
    await load_bookings_demo()
    assert await Contact.all().count() == len(DEMO_CONTACTS)
    with_griffier = set(await Contact.filter(function="griffier").values_list("organisation_id", flat=True))
    assert len(with_griffier) == await Organisation.all().count()
