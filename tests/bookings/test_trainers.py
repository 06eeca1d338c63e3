"""Trainer profiles: the rules of the service (validation, who may change what, blocked periods, the
specialties list) and the pages of coordinators and trainers."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from bookings import day_rates, trainers
from bookings.day_rate_models import DayRate
from bookings.models import TrainerKind
from bookings.staffing_models import BlockedPeriod, Specialty, TrainerProfile
from server.errors import Forbidden, NotFound, ValidationFailed
from server.models import AuditEntry, Organisation, Role, User
from tests.clocked import TEST_DAY
from tests.factories import csrf_token, make_province, make_user, post, sign_in, with_csrf


def day(offset: int) -> str:
    """A day counted from the test's today (also when parameters are built, before the clock is fixed)."""
    return (TEST_DAY + timedelta(days=offset)).isoformat()


def profile_form(**overrides: str) -> dict[str, str]:
    values = {"kind": "trainer", "home_town": "Utrecht", "max_sessions_per_month": "6", "day_rate": "650,00"}
    values.update(overrides)
    return values


async def make_profile(user: User | None = None, **overrides: object) -> TrainerProfile:
    values: dict[str, object] = {"kind": TrainerKind.TRAINER}
    values.update(overrides)
    rate = values.pop("day_rate_cents", None)
    profile = await TrainerProfile.create(user=user or await make_user(Role.TRAINER), **values)
    if rate is not None:
        await DayRate.create(trainer_id=profile.user_id, valid_from=date(1900, 1, 1), day_rate_cents=rate)  # type: ignore[attr-defined]
    return profile


async def actions() -> list[str]:
    return [entry.action for entry in await AuditEntry.all().order_by("id")]


# ---------- save_profile ----------


async def test_a_coordinator_creates_a_profile_with_everything_on_it() -> None:
    coordinator = await make_user(Role.COORDINATOR)
    trainer = await make_user(Role.TRAINER)
    utrecht = await make_province(cbs_code="PV26", name="Utrecht")
    await make_province(cbs_code="PV27", name="Noord-Holland")
    online = await Specialty.create(name="Online haat")

    profile = await trainers.save_profile(
        trainer.id,
        profile_form(kind="moderator", home_town="  Zeist ", day_rate="1.250,50"),
        [str(online.id)],
        ["PV26"],
        ["thu_evening", "mon_afternoon", "thu_evening"],
        actor=coordinator,
    )

    stored = await TrainerProfile.get(user=trainer).prefetch_related("specialties", "provinces")
    assert stored.id == profile.id
    assert stored.kind is TrainerKind.MODERATOR
    assert stored.home_town == "Zeist"
    assert stored.max_sessions_per_month == 6
    assert await day_rates.rate_on(trainer.id, trainers.today()) == 125050
    assert stored.weekly_availability == ["mon_afternoon", "thu_evening"]
    assert [s.name for s in stored.specialties] == ["Online haat"]
    assert [p.id for p in stored.provinces] == [utrecht.id]
    assert await actions() == ["trainer_profile_saved", "day_rate_set"]


async def test_saving_again_replaces_specialties_provinces_and_availability() -> None:
    coordinator = await make_user(Role.COORDINATOR)
    profile = await make_profile(weekly_availability=["mon_evening"])
    first, second = await Specialty.create(name="Juridisch"), await Specialty.create(name="Beveiliging")
    await profile.specialties.add(first)
    province = await make_province()
    await profile.provinces.add(province)

    await trainers.save_profile(
        profile.user_id,  # type: ignore[attr-defined]
        profile_form(day_rate=""),
        [str(second.id)],
        [],
        [],
        actor=coordinator,
    )

    stored = await TrainerProfile.get(id=profile.id).prefetch_related("specialties", "provinces")
    assert [s.name for s in stored.specialties] == ["Beveiliging"]
    assert list(stored.provinces) == []
    assert stored.weekly_availability == []
    assert await day_rates.rate_on(profile.user_id, trainers.today()) == 0  # type: ignore[attr-defined]
    assert await TrainerProfile.all().count() == 1


async def test_each_bad_field_gets_its_own_message() -> None:
    coordinator = await make_user(Role.COORDINATOR)
    trainer = await make_user(Role.TRAINER)
    with pytest.raises(ValidationFailed) as caught:
        await trainers.save_profile(
            trainer.id,
            {"kind": "astronaut", "home_town": "x" * 101, "max_sessions_per_month": "0", "day_rate": "veel"},
            ["999999", "abc"],
            ["PV99"],
            ["mon_morning"],
            actor=coordinator,
        )
    assert caught.value.errors == {
        "kind": "Kies de soort.",
        "home_town": "Een woonplaats is hoogstens 100 tekens lang.",
        "max_sessions_per_month": "Vul een aantal sessies per maand in, van 1 tot en met 31.",
        "day_rate": "Vul een dagtarief in euro's in, bijvoorbeeld 650,00.",
        "availability": "Kies alleen middagen en avonden uit het overzicht.",
        "specialties": "Kies alleen specialismen uit de lijst.",
        "provinces": "Kies alleen provincies uit de lijst.",
    }
    assert await TrainerProfile.all().count() == 0
    assert await actions() == []


@pytest.mark.parametrize(
    ("field", "value", "is_valid"),
    [
        ("max_sessions_per_month", "31", True),
        ("max_sessions_per_month", "32", False),
        ("max_sessions_per_month", "", False),
        ("max_sessions_per_month", "-1", False),
        ("day_rate", "650", True),
        ("day_rate", "€ 650,00", True),
        ("day_rate", "650,001", False),
        ("day_rate", "-5", False),
        ("day_rate", "20000", False),
        ("home_town", "x" * 100, True),
    ],
)
async def test_limits_of_the_numbers(field: str, value: str, is_valid: bool) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    trainer = await make_user(Role.TRAINER)
    save = trainers.save_profile(trainer.id, profile_form(**{field: value}), [], [], [], actor=coordinator)
    if is_valid:
        await save
    else:
        with pytest.raises(ValidationFailed) as caught:
            await save
        assert set(caught.value.errors) == {field}


async def test_only_coordinators_save_profiles() -> None:
    trainer = await make_user(Role.TRAINER)
    for role in (Role.TRAINER, Role.CLERK, Role.FINANCE):
        with pytest.raises(Forbidden):
            await trainers.save_profile(trainer.id, profile_form(), [], [], [], actor=await make_user(role))
    assert await TrainerProfile.all().count() == 0


async def test_a_profile_is_for_an_active_trainer_or_coordinator_only() -> None:
    coordinator = await make_user(Role.COORDINATOR)
    for person in (
        await make_user(Role.CLERK),
        await make_user(Role.FINANCE),
        await make_user(Role.TRAINER, is_active=False),
    ):
        with pytest.raises(NotFound):
            await trainers.save_profile(person.id, profile_form(), [], [], [], actor=coordinator)
    with pytest.raises(NotFound):
        await trainers.save_profile(999_999, profile_form(), [], [], [], actor=coordinator)
    assert await TrainerProfile.all().count() == 0


async def test_the_kind_coordinator_is_for_coordinators_only() -> None:
    coordinator = await make_user(Role.COORDINATOR)
    trainer = await make_user(Role.TRAINER)
    with pytest.raises(ValidationFailed) as caught:
        await trainers.save_profile(
            trainer.id, profile_form(kind="coordinator"), [], [], [], actor=coordinator
        )
    assert caught.value.errors == {"kind": "Alleen een coördinator kan de soort coördinator hebben."}

    colleague = await make_user(Role.COORDINATOR)
    with pytest.raises(ValidationFailed) as caught:
        await trainers.save_profile(colleague.id, profile_form(kind="trainer"), [], [], [], actor=coordinator)
    assert caught.value.errors == {"kind": "Een coördinator kan alleen de soort coördinator hebben."}

    profile = await trainers.save_profile(
        colleague.id,
        profile_form(kind="coordinator", day_rate=""),
        [],
        [],
        ["tue_afternoon"],
        actor=coordinator,
    )
    assert profile.kind is TrainerKind.COORDINATOR


# ---------- save_availability ----------


async def test_a_trainer_saves_their_own_availability() -> None:
    profile = await make_profile(weekly_availability=["mon_evening"])
    trainer = await User.get(id=profile.user_id)  # type: ignore[attr-defined]
    await trainers.save_availability(trainer, ["sun_evening", "fri_afternoon"])
    await profile.refresh_from_db()
    assert profile.weekly_availability == ["fri_afternoon", "sun_evening"]
    entry = await AuditEntry.get(action="availability_saved")
    assert entry.actor_id == trainer.id  # type: ignore[attr-defined]


async def test_availability_needs_a_profile_and_known_keys() -> None:
    with pytest.raises(NotFound):
        await trainers.save_availability(await make_user(Role.TRAINER), ["mon_evening"])
    profile = await make_profile(weekly_availability=["mon_evening"])
    trainer = await User.get(id=profile.user_id)  # type: ignore[attr-defined]
    with pytest.raises(ValidationFailed) as caught:
        await trainers.save_availability(trainer, ["mon_evening", "holiday"])
    assert set(caught.value.errors) == {"availability"}
    await profile.refresh_from_db()
    assert profile.weekly_availability == ["mon_evening"]


# ---------- blocked periods ----------


async def test_a_trainer_blocks_days_for_themself() -> None:
    profile = await make_profile()
    trainer = await User.get(id=profile.user_id)  # type: ignore[attr-defined]
    period = await trainers.add_blocked_period(
        trainer, day(10), day(24), "  Zomer   vakantie ", actor=trainer
    )
    stored = await BlockedPeriod.get(id=period.id)
    assert stored.profile_id == profile.id  # type: ignore[attr-defined]
    assert (stored.first_day.isoformat(), stored.last_day.isoformat()) == (day(10), day(24))
    assert stored.note == "Zomer vakantie"
    assert await actions() == ["blocked_period_added"]


@pytest.mark.parametrize(
    ("first", "last", "note", "errors"),
    [
        ("", "", "", {"first_day", "last_day"}),
        ("1-7-2026", day(3), "", {"first_day"}),
        (day(5), day(4), "", {"last_day"}),
        (day(1), day(1 + 366), "", {"last_day"}),
        (day(-20), day(-1), "", {"last_day"}),
        (day(1), day(2), "x" * 201, {"note"}),
    ],
)
async def test_blocked_periods_are_checked(first: str, last: str, note: str, errors: set[str]) -> None:
    profile = await make_profile()
    trainer = await User.get(id=profile.user_id)  # type: ignore[attr-defined]
    with pytest.raises(ValidationFailed) as caught:
        await trainers.add_blocked_period(trainer, first, last, note, actor=trainer)
    assert set(caught.value.errors) == errors
    assert await BlockedPeriod.all().count() == 0


async def test_a_period_that_started_in_the_past_or_lasts_a_year_is_fine() -> None:
    profile = await make_profile()
    trainer = await User.get(id=profile.user_id)  # type: ignore[attr-defined]
    await trainers.add_blocked_period(trainer, day(-3), day(0), "", actor=trainer)
    await trainers.add_blocked_period(trainer, day(1), day(1 + 365), "", actor=trainer)
    assert await BlockedPeriod.all().count() == 2


async def test_blocked_periods_messages_are_dutch() -> None:
    profile = await make_profile()
    trainer = await User.get(id=profile.user_id)  # type: ignore[attr-defined]
    cases = [
        (day(5), day(4), "De laatste dag ligt vóór de eerste dag."),
        (day(1), day(400), "Een geblokkeerde periode duurt hoogstens een jaar."),
        (day(-9), day(-2), "Deze periode ligt helemaal in het verleden."),
    ]
    for first, last, message in cases:
        with pytest.raises(ValidationFailed) as caught:
            await trainers.add_blocked_period(trainer, first, last, "", actor=trainer)
        assert caught.value.errors == {"last_day": message}


async def test_who_may_block_days_for_whom() -> None:
    profile = await make_profile()
    trainer = await User.get(id=profile.user_id)  # type: ignore[attr-defined]
    other_trainer = await make_user(Role.TRAINER)
    with pytest.raises(Forbidden):
        await trainers.add_blocked_period(trainer, day(1), day(2), "", actor=other_trainer)
    with pytest.raises(Forbidden):
        await trainers.add_blocked_period(trainer, day(1), day(2), "", actor=await make_user(Role.CLERK))
    coordinator = await make_user(Role.COORDINATOR)
    await trainers.add_blocked_period(trainer, day(1), day(2), "Ziek", actor=coordinator)
    with pytest.raises(NotFound):
        await trainers.add_blocked_period(other_trainer, day(1), day(2), "", actor=coordinator)
    entry = await AuditEntry.get(action="blocked_period_added")
    assert entry.actor_id == coordinator.id  # type: ignore[attr-defined]


async def test_removing_a_blocked_period_is_for_its_trainer_or_a_coordinator() -> None:
    profile = await make_profile()
    trainer = await User.get(id=profile.user_id)  # type: ignore[attr-defined]
    own = await BlockedPeriod.create(profile=profile, first_day=day(1), last_day=day(3))
    second = await BlockedPeriod.create(profile=profile, first_day=day(8), last_day=day(9))

    with pytest.raises(NotFound):
        await trainers.remove_blocked_period(own.id, actor=await make_user(Role.TRAINER))
    with pytest.raises(NotFound):
        await trainers.remove_blocked_period(999_999, actor=trainer)
    await trainers.remove_blocked_period(own.id, actor=trainer)
    await trainers.remove_blocked_period(second.id, actor=await make_user(Role.COORDINATOR))

    assert await BlockedPeriod.all().count() == 0
    entries = await AuditEntry.all().order_by("id")
    assert [(e.action, e.object_id) for e in entries] == [
        ("blocked_period_removed", str(own.id)),
        ("blocked_period_removed", str(second.id)),
    ]


# ---------- specialties ----------


async def test_a_coordinator_adds_specialties_without_duplicates() -> None:
    coordinator = await make_user(Role.COORDINATOR)
    specialty = await trainers.add_specialty("  Online   haat ", actor=coordinator)
    assert specialty.name == "Online haat"
    for name in ("online haat", "ONLINE HAAT", " Online haat"):
        with pytest.raises(ValidationFailed) as caught:
            await trainers.add_specialty(name, actor=coordinator)
        assert caught.value.errors == {"name": "Dit specialisme staat al in de lijst."}
    for name in ("", "   ", "x" * 101):
        with pytest.raises(ValidationFailed) as caught:
            await trainers.add_specialty(name, actor=coordinator)
        assert set(caught.value.errors) == {"name"}
    with pytest.raises(Forbidden):
        await trainers.add_specialty("Juridisch", actor=await make_user(Role.TRAINER))
    assert [s.name for s in await Specialty.all()] == ["Online haat"]
    assert await actions() == ["specialty_added"]


# ---------- pages ----------


async def test_the_trainers_list_shows_profiles_and_who_has_none(client: httpx.AsyncClient) -> None:
    coordinator = await make_user(Role.COORDINATOR, name="Carla Coördinator")
    await make_province(cbs_code="PV26", name="Utrecht")
    with_profile = await make_profile(
        await make_user(Role.TRAINER, name="Tessa Trainer"),
        kind=TrainerKind.EXPERT,
        weekly_availability=["mon_afternoon", "mon_evening", "thu_evening"],
        max_sessions_per_month=5,
        day_rate_cents=65000,
    )
    await with_profile.provinces.add(await Organisation.get(cbs_code="PV26"))
    await with_profile.specialties.add(await Specialty.create(name="Beveiliging"))
    await make_user(Role.TRAINER, name="Nico Nieuw")
    await sign_in(client, coordinator)

    page = await client.get("/trainers")
    assert page.status_code == 200
    assert "Tessa Trainer" in page.text and "expert" in page.text
    assert "Beveiliging" in page.text and "alle provincies" in page.text
    assert "maandag: middag en avond; donderdag: avond" in page.text
    assert "Nico Nieuw" in page.text and "nog geen profiel" in page.text
    assert f'href="/trainers/{coordinator.id}"' in page.text  # a coordinator without profile
    assert "650,00" not in page.text  # the day rate is not on the list (a bare "650" may be in a token)


async def test_a_coordinator_edits_a_profile_and_it_is_stored(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.COORDINATOR))
    trainer = await make_user(Role.TRAINER, name="Tessa Trainer")
    await make_province(cbs_code="PV26", name="Utrecht")
    specialty = await Specialty.create(name="Juridisch")
    url = f"/trainers/{trainer.id}"

    form = await client.get(url)
    assert form.status_code == 200 and "Nieuw profiel" in form.text
    assert 'id="field-availability"' in form.text and "Zondag" in form.text

    response = await with_csrf(client).post(
        url,
        data={
            "csrf_token": csrf_token(client),
            **profile_form(kind="peer"),
            "specialties": [str(specialty.id)],
            "provinces": ["PV26"],
            "availability": ["wed_evening", "sat_afternoon"],
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{url}?melding=opgeslagen"
    profile = await TrainerProfile.get(user=trainer).prefetch_related("specialties", "provinces")
    assert profile.kind is TrainerKind.PEER
    assert await day_rates.rate_on(trainer.id, trainers.today()) == 65000
    assert profile.weekly_availability == ["wed_evening", "sat_afternoon"]
    assert [s.id for s in profile.specialties] == [specialty.id]
    assert [p.cbs_code for p in profile.provinces] == ["PV26"]

    page = await client.get(response.headers["location"])
    assert "Het profiel is opgeslagen." in page.text
    assert 'value="650,00"' in page.text
    assert 'value="wed_evening" checked' in page.text


async def test_a_bad_profile_form_keeps_what_was_typed(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.COORDINATOR))
    trainer = await make_user(Role.TRAINER)
    response = await post(
        client,
        f"/trainers/{trainer.id}",
        profile_form(home_town="Ergens-aan-Zee", max_sessions_per_month="40"),
    )
    assert response.status_code == 400
    assert 'value="Ergens-aan-Zee"' in response.text
    assert "field-max_sessions_per_month-error" in response.text
    assert 'href="#field-max_sessions_per_month"' in response.text
    assert await TrainerProfile.all().count() == 0


async def test_a_coordinator_adds_a_specialty_on_the_list(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.COORDINATOR))
    response = await post(client, "/trainers/specialismen", {"name": "Voorzitten onder druk"})
    assert response.status_code == 303
    assert response.headers["location"] == "/trainers?melding=specialisme#specialismen"
    assert "Het specialisme is toegevoegd." in (await client.get(response.headers["location"])).text
    assert await Specialty.filter(name="Voorzitten onder druk").exists()

    again = await post(client, "/trainers/specialismen", {"name": "voorzitten onder druk"})
    assert again.status_code == 400
    assert "Dit specialisme staat al in de lijst." in again.text
    assert 'value="voorzitten onder druk"' in again.text


async def test_a_coordinator_blocks_and_frees_days_of_a_trainer(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.COORDINATOR))
    profile = await make_profile()
    user_id = profile.user_id  # type: ignore[attr-defined]
    response = await post(
        client,
        f"/trainers/{user_id}/geblokkeerd",
        {"first_day": day(7), "last_day": day(9), "note": "Cursus"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/trainers/{user_id}?melding=geblokkeerd#geblokkeerd"
    period = await BlockedPeriod.get(profile=profile)
    page = await client.get(response.headers["location"])
    assert "Cursus" in page.text and "De geblokkeerde periode is toegevoegd." in page.text

    bad = await post(client, f"/trainers/{user_id}/geblokkeerd", {"first_day": day(9), "last_day": day(7)})
    assert bad.status_code == 400 and "De laatste dag ligt vóór de eerste dag." in bad.text

    removed = await post(
        client, f"/trainers/geblokkeerd/{period.id}/verwijderen", {"volgende": f"/trainers/{user_id}"}
    )
    assert removed.status_code == 303
    assert removed.headers["location"] == f"/trainers/{user_id}?melding=vrijgegeven#geblokkeerd"
    assert not await BlockedPeriod.exists()


async def test_a_trainer_edits_own_availability_and_blocked_days(client: httpx.AsyncClient) -> None:
    profile = await make_profile(weekly_availability=["mon_evening"], day_rate_cents=65000)
    trainer = await User.get(id=profile.user_id)  # type: ignore[attr-defined]
    await sign_in(client, trainer)

    page = await client.get("/trainer/beschikbaarheid")
    assert page.status_code == 200 and "Mijn beschikbaarheid" in page.text
    assert 'value="mon_evening" checked' in page.text
    assert "650,00" not in page.text  # the day rate is for the team only (a token may hold "650")

    saved = await post(client, "/trainer/beschikbaarheid", {"availability": "tue_afternoon"})
    assert saved.status_code == 303
    assert saved.headers["location"] == "/trainer/beschikbaarheid?melding=opgeslagen"
    await profile.refresh_from_db()
    assert profile.weekly_availability == ["tue_afternoon"]

    bad = await post(client, "/trainer/beschikbaarheid", {"availability": "tue_morning"})
    assert bad.status_code == 400 and "Kies alleen middagen en avonden" in bad.text

    blocked = await post(
        client, "/trainer/geblokkeerd", {"first_day": day(3), "last_day": day(5), "note": ""}
    )
    assert blocked.status_code == 303
    assert blocked.headers["location"] == "/trainer/beschikbaarheid?melding=geblokkeerd#geblokkeerd"
    period = await BlockedPeriod.get(profile=profile)

    too_long = await post(client, "/trainer/geblokkeerd", {"first_day": day(3), "last_day": day(500)})
    assert too_long.status_code == 400 and "hoogstens een jaar" in too_long.text
    assert f'value="{day(500)}"' in too_long.text

    removed = await post(client, f"/trainers/geblokkeerd/{period.id}/verwijderen")
    assert removed.status_code == 303
    assert removed.headers["location"] == "/trainer/beschikbaarheid?melding=vrijgegeven#geblokkeerd"
    assert not await BlockedPeriod.exists()


async def test_a_trainer_cannot_touch_other_trainers_or_the_coordinators_pages(
    client: httpx.AsyncClient,
) -> None:
    other = await make_profile()
    period = await BlockedPeriod.create(profile=other, first_day=day(1), last_day=day(2))
    await make_profile(trainer := await make_user(Role.TRAINER))
    await sign_in(client, trainer)

    assert (await client.get("/trainers")).status_code == 403
    assert (await client.get(f"/trainers/{trainer.id}")).status_code == 403
    assert (await post(client, f"/trainers/{trainer.id}", profile_form())).status_code == 403
    removal = await post(client, f"/trainers/geblokkeerd/{period.id}/verwijderen")
    assert removal.status_code == 404
    assert await BlockedPeriod.exists(id=period.id)


async def test_a_trainer_without_profile_is_told_so(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.TRAINER))
    page = await client.get("/trainer/beschikbaarheid")
    assert page.status_code == 200 and "nog geen trainersprofiel" in page.text
    assert (
        await post(client, "/trainer/beschikbaarheid", {"availability": "mon_evening"})
    ).status_code == 404
    assert (
        await post(client, "/trainer/geblokkeerd", {"first_day": day(1), "last_day": day(2)})
    ).status_code == 404


async def test_clerks_and_finance_see_no_trainer_pages(client: httpx.AsyncClient) -> None:
    profile = await make_profile(day_rate_cents=65000)
    for role in (Role.CLERK, Role.FINANCE):
        client.cookies.clear()
        await sign_in(client, await make_user(role))
        assert (await client.get("/trainers")).status_code == 403
        assert (await client.get(f"/trainers/{profile.user_id}")).status_code == 403  # type: ignore[attr-defined]
        assert (await client.get("/trainer/beschikbaarheid")).status_code == 403


async def test_only_trainers_and_coordinators_have_profile_pages(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.COORDINATOR))
    clerk = await make_user(Role.CLERK)
    assert (await client.get(f"/trainers/{clerk.id}")).status_code == 404
    assert (await client.get("/trainers/999999")).status_code == 404
    assert (await client.get("/trainers/abc")).status_code == 404
