"""A coordinator downloads a person's data and erases it from the users page; the CLI does the same."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import httpx

from bookings.models import TrainerKind
from bookings.staffing_models import RequestStatus
from server import clock
from server.models import AuditEntry, Role, User, erased_email
from tests.bookings.factories import make_booking, make_request, make_trainer
from tests.cli import weerbaar
from tests.factories import make_user, post, sign_in
from tests.privacy.people import make_person_everywhere, stored_anywhere


async def test_the_users_page_links_to_download_and_erase(client: httpx.AsyncClient) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    clerk = await make_user(Role.CLERK, name="Petra Griffier")
    await sign_in(client, coordinator)

    page = await client.get("/beheer/gebruikers")

    assert f'href="/beheer/gebruikers/{clerk.id}/gegevens"' in page.text
    assert f'href="/beheer/gebruikers/{clerk.id}/wissen"' in page.text
    assert f'href="/beheer/gebruikers/{coordinator.id}/wissen"' not in page.text


async def test_a_coordinator_downloads_a_persons_data_as_json(client: httpx.AsyncClient) -> None:
    person = await make_person_everywhere()
    coordinator = await make_user(Role.COORDINATOR)
    await sign_in(client, coordinator)

    response = await client.get(f"/beheer/gebruikers/{person.user.id}/gegevens")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="persoonsgegevens-gebruiker-{person.user.id}.json"'
    )
    assert response.headers["cache-control"] == "private, no-store"
    assert json.loads(response.content)["onderdelen"]["account"][0]["email"] == person.user.email
    assert await AuditEntry.filter(action="personal_data_exported", actor_id=coordinator.id).count() == 1


async def test_erasing_asks_for_confirmation_then_erases(client: httpx.AsyncClient) -> None:
    person = await make_person_everywhere()
    await sign_in(client, await make_user(Role.COORDINATOR))
    url = f"/beheer/gebruikers/{person.user.id}/wissen"

    form = await client.get(url)
    assert form.status_code == 200 and "Gegevens definitief wissen" in form.text
    assert "Zeven jaar (fiscale bewaarplicht)" in form.text

    unconfirmed = await post(client, url)
    assert unconfirmed.status_code == 400
    assert 'aria-invalid="true"' in unconfirmed.text and "Bevestig dat u de gegevens" in unconfirmed.text
    assert (await User.get(id=person.user.id)).email == person.user.email

    done = await post(client, url, {"confirm": "on"})
    assert done.status_code == 303 and done.headers["location"] == "/beheer/gebruikers?melding=gewist"
    assert (await User.get(id=person.user.id)).email == erased_email(person.user.id)
    assert await stored_anywhere(person.identifiers) == []
    listing = await client.get(done.headers["location"])
    assert "De persoonsgegevens zijn gewist" in listing.text


async def test_erasing_a_trainer_with_coming_sessions_is_refused_with_the_reason(
    client: httpx.AsyncClient,
) -> None:
    trainer = await make_trainer(TrainerKind.TRAINER, name="Jan de Trainer")
    booking = await make_booking(starts_at=clock.now() + timedelta(days=3))
    await make_request(booking, trainer, TrainerKind.TRAINER, RequestStatus.PENDING)
    await sign_in(client, await make_user(Role.COORDINATOR))
    url = f"/beheer/gebruikers/{trainer.id}/wissen"

    page = await client.get(url)
    assert "Wissen kan nu niet" in page.text and "Gegevens definitief wissen" not in page.text

    refused = await post(client, url, {"confirm": "on"})
    assert refused.status_code == 409 and "1 komende sessie" in refused.text
    assert (await User.get(id=trainer.id)).name == "Jan de Trainer"


async def test_own_account_and_unknown_ids(client: httpx.AsyncClient) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    await sign_in(client, coordinator)

    own = await post(client, f"/beheer/gebruikers/{coordinator.id}/wissen", {"confirm": "on"})
    assert own.status_code == 409 and (await User.get(id=coordinator.id)).is_active
    assert (await client.get("/beheer/gebruikers/999999/gegevens")).status_code == 404
    assert (await post(client, "/beheer/gebruikers/999999/wissen", {"confirm": "on"})).status_code == 404


async def test_the_cli_exports_erases_and_purges(fresh_url: str, tmp_path: Path) -> None:
    assert weerbaar(fresh_url, "migrate").returncode == 0
    added = weerbaar(
        fresh_url, "user", "add", "--email", "t@example.org", "--name", "Tine Trainer", "--role", "trainer"
    )
    assert added.returncode == 0, added.stderr

    exported = weerbaar(fresh_url, "user", "export", "t@example.org", "--out", str(tmp_path / "t.json"))
    assert exported.returncode == 0, exported.stderr
    assert json.loads((tmp_path / "t.json").read_text())["onderdelen"]["account"][0]["name"] == "Tine Trainer"

    unconfirmed = weerbaar(fresh_url, "user", "erase", "t@example.org")
    assert unconfirmed.returncode == 2 and "--ja" in unconfirmed.stderr
    erased = weerbaar(fresh_url, "user", "erase", "t@example.org", "--ja")
    assert erased.returncode == 0 and "gewist" in erased.stdout, erased.stderr
    assert (
        weerbaar(fresh_url, "user", "export", "t@example.org", "--out", str(tmp_path / "x.json")).returncode
        == 1
    )

    purged = weerbaar(fresh_url, "purge")
    assert purged.returncode == 0 and purged.stdout.startswith("Verwijderd: 0 inloglinks"), purged.stderr


async def test_an_erased_account_is_listed_without_actions_and_cannot_be_reactivated(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    clerk = await make_user(Role.CLERK, name="Petra Griffier")
    await sign_in(client, coordinator)
    await post(client, f"/beheer/gebruikers/{clerk.id}/wissen", {"confirm": "on"})

    page = await client.get("/beheer/gebruikers")
    assert "Gegevens gewist" in page.text and "Petra Griffier" not in page.text
    assert f"/beheer/gebruikers/{clerk.id}/activeren" not in page.text

    refused = await post(client, f"/beheer/gebruikers/{clerk.id}/activeren")
    assert refused.status_code == 400 and "gewist" in refused.text
    assert not (await User.get(id=clerk.id)).is_active
    organisation = await client.get(f"/organisaties/{(await clerk.organisation).cbs_code}")
    assert organisation.status_code == 200 and "Verwijderde gebruiker" not in organisation.text
