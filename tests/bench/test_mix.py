"""The pure parts of the realistic load test: the mix, the percentiles, the open-loop schedule and
the CPU bookkeeping (bench/mix.py, bench/realistic.py). No network, no clock."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from bench import realistic
from bench.mix import (
    READ_WEIGHTS,
    WEIGHTS,
    WRITES,
    Mix,
    Request,
    Visitor,
    booking_request,
    percentile,
    schedule,
)
from bench.traffic import Answer
from bookings.public_holidays import holiday_name


def _visitors() -> list[Visitor]:
    clerks = [
        Visitor(
            f"clerk-{n}", {"organisation page": [f"/organisaties/GM{n:04d}"], "booking form": [f"/b/{n}"]}
        )
        for n in range(3)
    ]
    coordinator = Visitor("coordinator", {"bookings board": ["/boekingen", "/boekingen?status=requested"]})
    return [*clerks, coordinator]


def _writes(count: int) -> dict[str, list[Request]]:
    return {
        "submit a booking": [
            Request("submit a booking", "POST", "/boeken", f"clerk-{n}", f"n={n}") for n in range(count)
        ]
    }


WEIGHTS_OF_TEST = {
    "organisation page": 0.5,
    "booking form": 0.2,
    "bookings board": 0.25,
    "submit a booking": 0.05,
}


def test_the_default_mix_has_five_percent_writes() -> None:
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)
    assert sum(WEIGHTS[kind] for kind in WRITES) == pytest.approx(0.05)
    assert not set(READ_WEIGHTS) & set(WRITES)
    assert sum(READ_WEIGHTS.values()) == pytest.approx(0.95)


def test_each_visitor_asks_for_its_own_pages_at_the_weights() -> None:
    visitors = _visitors()
    mix = Mix(visitors, {k: iter(v) for k, v in _writes(2000).items()}, weights=WEIGHTS_OF_TEST, seed=3)
    requests = mix.take(4000)

    shares = Counter(request.kind for request in requests)
    for kind, weight in WEIGHTS_OF_TEST.items():
        assert shares[kind] / len(requests) == pytest.approx(weight, abs=0.03)
    pages = {visitor.cookie: visitor.pages for visitor in visitors}
    for request in requests:
        if not request.is_write:
            assert request.path in pages[request.cookie][request.kind]
    assert {request.cookie for request in requests if request.kind == "organisation page"} == {
        "clerk-0",
        "clerk-1",
        "clerk-2",
    }


def test_the_same_seed_gives_the_same_requests() -> None:
    first = Mix(_visitors(), {k: iter(v) for k, v in _writes(100).items()}, weights=WEIGHTS_OF_TEST, seed=5)
    second = Mix(_visitors(), {k: iter(v) for k, v in _writes(100).items()}, weights=WEIGHTS_OF_TEST, seed=5)
    assert first.take(200) == second.take(200)


def test_each_write_line_is_sent_once_and_a_used_up_list_gives_way_to_bookings() -> None:
    weights = {"organisation page": 0.5, "submit a booking": 0.25, "issue an invoice": 0.25}
    issues = [Request("issue an invoice", "POST", f"/financien/facturen/{n}/uitgeven") for n in range(5)]
    bookings = _writes(1000)["submit a booking"]
    writes = {"submit a booking": iter(bookings), "issue an invoice": iter(issues)}
    requests = Mix(_visitors(), writes, weights=weights, seed=1).take(400)

    sent = [request for request in requests if request.is_write]
    assert len(sent) == len(set(sent))
    assert [request for request in sent if request.kind == "issue an invoice"] == issues
    assert sum(request.kind == "submit a booking" for request in sent) > 150


def test_a_mix_without_visitors_for_a_weighted_type_is_refused() -> None:
    with pytest.raises(ValueError, match="tour dashboard"):
        Mix(_visitors(), {}, weights={"organisation page": 0.9, "tour dashboard": 0.1})


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(100, 0, -1)]  # 1..100, unsorted
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    assert percentile([7.0], 0.99) == 7
    assert percentile([], 0.5) == 0.0


def test_the_open_loop_sends_at_fixed_times() -> None:
    times = schedule(50, 2)
    assert len(times) == 100
    assert times[0] == 0 and times[1] == pytest.approx(0.02) and times[-1] == pytest.approx(1.98)
    with pytest.raises(ValueError):
        schedule(0, 1)


def test_an_answer_is_an_error_unless_2xx_or_3xx() -> None:
    assert not Answer("home", 3.0, 200, 1).is_error
    assert not Answer("submit a booking", 9.0, 303, 9).is_error
    assert Answer("bookings board", 5.0, 400, 3).is_error
    assert Answer("home", 30000.0, 0, 0, "ReadTimeout").is_error


def test_cpu_used_counts_new_processes_from_zero_and_leaves_gone_ones_out() -> None:
    before = {1: 2.0, 2: 1.0, 3: 5.0}
    after = {1: 2.5, 2: 1.25, 4: 0.5}
    assert realistic.cpu_used(before, after) == pytest.approx(0.5 + 0.25 + 0.5)


def test_the_phase_figures_are_per_answered_request() -> None:
    answers = [Answer("home", 1.0, 200, 2), Answer("home", 1.0, 200, 4), Answer("home", 1.0, 500, 0)]
    phase = realistic.Phase(answers, seconds=2.0, app_cpu=0.03, db_cpu=0.006)
    assert phase.per_second == 1.5
    assert phase.per_request_ms(phase.app_cpu) == pytest.approx(10.0)
    assert phase.statements == 2.0
    assert phase.errors == 1


def test_no_booking_request_asks_for_a_public_holiday() -> None:
    """The form refuses a public holiday; the bench would count the refusal as an error."""
    days = [
        date.fromisoformat(booking_request(n, "t", date(2026, 12, 6), po_prefix="PO")["date_1"])
        for n in range(400)
    ]
    assert not [day for day in days if holiday_name(day)]
    assert date(2027, 4, 27) not in days and date(2027, 4, 28) in days  # King's Day moves on a day
