"""The CBS import and who may see which organisation."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.errors import NotFound
from server.models import ERASED_DOMAIN, Organisation, OrganisationKind, Role
from server.organisations import ImportFailed, import_organisations, organisation_for
from server.users import colleagues_of
from tests.databases import running_in_ci
from tests.factories import make_organisation, make_user
from tests.orm_alike import assert_read_alike
from tests.paths import SHARED_DATA

needs_cbs_files = pytest.mark.skipif(
    not (SHARED_DATA / "gemeenten.csv").exists() and not running_in_ci(),
    reason=f"CBS files not found in {SHARED_DATA}",
)


@needs_cbs_files
async def test_importing_the_cbs_lists_gives_12_provinces_and_342_municipalities() -> None:
    provinces = await import_organisations(SHARED_DATA / "provincies.csv")
    municipalities = await import_organisations(SHARED_DATA / "gemeenten.csv")
    assert len(provinces.created) == 12 and len(municipalities.created) == 342
    assert await Organisation.filter(kind=OrganisationKind.PROVINCE).count() == 12
    assert await Organisation.filter(kind=OrganisationKind.MUNICIPALITY).count() == 342
    amsterdam = await Organisation.get(cbs_code="GM0363").select_related("province")
    assert amsterdam.name == "Amsterdam" and amsterdam.province.name == "Noord-Holland"


@needs_cbs_files
async def test_rerunning_the_import_changes_nothing() -> None:
    await import_organisations(SHARED_DATA / "provincies.csv")
    await import_organisations(SHARED_DATA / "gemeenten.csv")
    before = {o.cbs_code: (o.name, o.updated_at) for o in await Organisation.all()}
    again = await import_organisations(SHARED_DATA / "gemeenten.csv")
    assert (len(again.created), len(again.updated), len(again.unchanged)) == (0, 0, 342)
    assert {o.cbs_code: (o.name, o.updated_at) for o in await Organisation.all()} == before


async def test_a_municipality_file_creates_missing_provinces_and_updates_renamed_ones(tmp_path: Path) -> None:
    csv = tmp_path / "gemeenten.csv"
    csv.write_text("cbs_code,name,province_code,province_name\nGM0355,Zeist,PV26,Utrecht\n")
    first = await import_organisations(csv)
    assert sorted(first.created) == ["GM0355", "PV26"]
    csv.write_text("cbs_code,name,province_code,province_name\nGM0355,Zeist (gewijzigd),PV26,Utrecht\n")
    second = await import_organisations(csv)
    assert second.updated == ["GM0355"] and second.unchanged == []
    assert (await Organisation.get(cbs_code="GM0355")).name == "Zeist (gewijzigd)"


@pytest.mark.parametrize(
    "content",
    [
        "code,naam\nGM0355,Zeist\n",
        "cbs_code,name,province_code,province_name\nGM0355,Zeist,PV26,Utrecht\nXX1,Fout,PV26,Utrecht\n",
        "cbs_code,name\nGM0355,Zeist\n",  # a municipality code in a province file
    ],
)
async def test_a_bad_file_is_refused_and_stores_nothing(tmp_path: Path, content: str) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text(content)
    with pytest.raises(ImportFailed):
        await import_organisations(csv)
    assert await Organisation.all().count() == 0


async def test_a_clerk_sees_only_their_own_organisation_and_a_trainer_none() -> None:
    own = await make_organisation()
    other = await make_organisation()
    clerk = await make_user(Role.CLERK, organisation=own)
    assert (await organisation_for(clerk, own.cbs_code)).id == own.id
    with pytest.raises(NotFound):
        await organisation_for(clerk, other.cbs_code)
    with pytest.raises(NotFound):
        await organisation_for(await make_user(Role.TRAINER), own.cbs_code)
    for role in (Role.COORDINATOR, Role.FINANCE):
        assert (await organisation_for(await make_user(role), other.cbs_code)).id == other.id


async def test_an_organisation_is_read_with_its_province_as_the_orm_reads_it() -> None:
    """organisation_for is plain SQL (server/sql.py): every column converted alike, the province
    only when asked (none for a province itself), and an instance that saves as an update."""
    municipality = await make_organisation(oin="00000001001234567000", requires_po_number=True)
    coordinator = await make_user(Role.COORDINATOR)
    found = await organisation_for(coordinator, municipality.cbs_code, with_province=True)
    stored = await Organisation.get(id=municipality.id).select_related("province")
    assert_read_alike(found, stored)
    assert_read_alike(found.province, stored.province)
    province = await organisation_for(coordinator, stored.province.cbs_code, with_province=True)
    assert province.province is None
    assert_read_alike(await organisation_for(coordinator, municipality.cbs_code), stored)
    found.invoice_city = "Zeist"
    await found.save(update_fields=["invoice_city"])
    saved = await Organisation.get(id=municipality.id)
    assert (saved.invoice_city, saved.province_id) == ("Zeist", stored.province_id)
    with pytest.raises(NotFound):
        await organisation_for(coordinator, "GM" + "9" * 40)


async def test_the_organisation_page_lists_its_clerks_by_name_without_erased_accounts() -> None:
    organisation = await make_organisation()
    await make_user(
        Role.CLERK, organisation=organisation, name="Bram", email="bram@example.org", is_active=False
    )
    await make_user(Role.CLERK, organisation=organisation, name="Anna", email="anna@example.org")
    await make_user(Role.CLERK, organisation=organisation, name="Gewist", email=f"x1@{ERASED_DOMAIN}")
    await make_user(Role.CLERK, organisation=await make_organisation(), name="Elders")
    assert await colleagues_of(organisation) == [
        {"name": "Anna", "email": "anna@example.org", "is_active": True},
        {"name": "Bram", "email": "bram@example.org", "is_active": False},
    ]
