"""The indexed look-ups of a trainer's requests answer as the plain definitions do."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from bookings.availability import month_bounds
from bookings.fit import Busy, Slot, Staffer, assess, is_free
from bookings.models import TrainerKind


def test_busy_answers_like_scanning_every_request() -> None:
    rng = random.Random(7)
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    requests = []
    for _ in range(300):
        starts_at = start + timedelta(minutes=30 * rng.randrange(0, 2 * 24 * 120))
        requests.append(
            SimpleNamespace(
                starts_at=starts_at, ends_at=starts_at + timedelta(minutes=rng.choice((90, 150, 240)))
            )
        )
    busy = Busy(requests)  # type: ignore[arg-type]
    buffer = timedelta(hours=2)
    for _ in range(2000):
        starts_at = start + timedelta(minutes=15 * rng.randrange(-200, 4 * 24 * 125))
        ends_at = starts_at + timedelta(minutes=150)
        expected = any(r.starts_at < ends_at + buffer and r.ends_at > starts_at - buffer for r in requests)
        assert busy.overlaps(starts_at, ends_at, buffer) is expected, starts_at
        first, following = month_bounds(starts_at)
        assert busy.in_month_of(starts_at) == sum(first <= r.starts_at < following for r in requests)


def test_is_free_says_what_the_full_assessment_says() -> None:
    rng = random.Random(11)
    start = datetime(2026, 3, 2, 13, tzinfo=UTC)
    keys = [
        f"{day}_{part}"
        for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        for part in ("afternoon", "evening")
    ]
    buffer = timedelta(hours=2)
    for _ in range(400):
        requests = []
        for _ in range(rng.randrange(0, 6)):
            starts_at = start + timedelta(hours=rng.randrange(0, 24 * 40))
            requests.append(SimpleNamespace(starts_at=starts_at, ends_at=starts_at + timedelta(hours=3)))
        blocked_day = (start + timedelta(days=rng.randrange(0, 40))).date()
        profile = SimpleNamespace(
            provinces=[SimpleNamespace(id=i) for i in rng.sample(range(1, 5), rng.randrange(0, 3))],
            weekly_availability=rng.sample(keys, rng.randrange(0, len(keys))),
            blocked_periods=[SimpleNamespace(first_day=blocked_day, last_day=blocked_day)],
            max_sessions_per_month=rng.randrange(1, 4),
        )
        busy = Busy(requests)  # type: ignore[arg-type]
        starts_at = start + timedelta(hours=rng.randrange(0, 24 * 40))
        ends_at = starts_at + timedelta(hours=2, minutes=30)
        province_id = rng.randrange(1, 5)
        fit = assess(profile, busy, province_id, starts_at, ends_at, buffer)  # type: ignore[arg-type]
        staffer = Staffer(
            user_id=1,
            kind=TrainerKind.TRAINER,
            availability=frozenset(profile.weekly_availability),
            province_ids=frozenset(province.id for province in profile.provinces),
            blocked=((blocked_day, blocked_day),),
            max_sessions_per_month=profile.max_sessions_per_month,
        )
        assert is_free(staffer, busy, province_id, Slot.at(starts_at, ends_at), buffer) is fit.fits
