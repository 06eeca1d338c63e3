"""The realistic traffic of the load test: who asks for what, how often, and how figures are read.

Pure parts only (no database, no network, no clock), so that they can be tested on their own:

- `Visitor`: one browser (a signed-in user or an anonymous participant) with the pages it asks for;
- `Mix`: draws the next request: a request type by its weight, then a visitor of that type and one
  of its pages; the writes (about 5 %) come from lists of their own, each line sent once;
- `percentile`, and `schedule` for the open-loop run (fixed arrival times, whatever the answers do).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from bookings.public_holidays import first_day_without_holiday

#: Request types and their share of all requests. The pages follow what each role does in a working
#: day: clerks look at their own organisation and book, coordinators work the board and look at the
#: dashboard, finance filters the invoice list, trainers answer requests, participants fill in forms.
#: The writes add up to 5 %.
WEIGHTS: dict[str, float] = {
    "home": 0.04,
    "organisation page": 0.15,
    "organisation bookings": 0.08,
    "booking form": 0.09,
    "bookings board": 0.13,
    "tour dashboard": 0.05,
    "organisations table": 0.03,
    "invoice list": 0.09,
    "trainer requests": 0.10,
    "feedback form": 0.19,
    "submit a booking": 0.02,
    "submit feedback": 0.015,
    "accept a request": 0.008,
    "issue an invoice": 0.007,
}
WRITES = ("submit a booking", "submit feedback", "accept a request", "issue an invoice")
#: The pages of the mix alone, for the CPU of a GET.
READ_WEIGHTS = {kind: weight for kind, weight in WEIGHTS.items() if kind not in WRITES}
#: The write that stands in for one whose list ran out (a list is sized for the run, with room).
SPARE_WRITE = "submit a booking"


@dataclass(frozen=True)
class Request:
    kind: str
    method: str
    path: str
    cookie: str = ""
    body: str = ""

    @property
    def is_write(self) -> bool:
        return self.method != "GET"


def form_body(fields: dict[str, str] | list[tuple[str, str]]) -> str:
    return urlencode(fields)


@dataclass
class Visitor:
    """One browser: its cookie and, per request type, the addresses it asks for."""

    cookie: str
    pages: dict[str, list[str]] = field(default_factory=dict)


class Mix:
    """Draws requests: `next()` forever, deterministic for a given seed."""

    def __init__(
        self,
        visitors: Sequence[Visitor],
        writes: dict[str, Iterator[Request]],
        *,
        weights: dict[str, float] | None = None,
        seed: int = 1,
    ) -> None:
        self.weights = weights or WEIGHTS
        self._rng = random.Random(seed)
        self._by_kind: dict[str, list[Visitor]] = {}
        for visitor in visitors:
            for kind in visitor.pages:
                self._by_kind.setdefault(kind, []).append(visitor)
        self._writes = writes
        kinds = [kind for kind in self.weights if kind in self._by_kind or kind in writes]
        missing = set(self.weights) - set(kinds)
        if missing:
            raise ValueError(f"geen bezoekers of regels voor: {', '.join(sorted(missing))}")
        self._kinds = kinds
        self._cumulative = []
        total = 0.0
        for kind in kinds:
            total += self.weights[kind]
            self._cumulative.append(total)

    def _kind(self) -> str:
        roll = self._rng.random() * self._cumulative[-1]
        for kind, edge in zip(self._kinds, self._cumulative, strict=True):
            if roll < edge:
                return kind
        return self._kinds[-1]

    def next(self) -> Request:
        kind = self._kind()
        if kind in WRITES:
            line = next(self._writes[kind], None)
            if line is None:
                line = next(self._writes[SPARE_WRITE])
            return line
        visitor = self._rng.choice(self._by_kind[kind])
        return Request(kind, "GET", self._rng.choice(visitor.pages[kind]), visitor.cookie)

    def take(self, count: int) -> list[Request]:
        return [self.next() for _ in range(count)]


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` 0.5 for the median, 0.99 for p99); 0.0 without values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(math.ceil(share * len(ordered)), 1)
    return ordered[rank - 1]


def schedule(rate: float, seconds: float) -> list[float]:
    """Send times (seconds from the start) of an open-loop run: one request every 1/rate seconds.

    The times are fixed in advance, so a slow answer delays no later request; each latency is
    measured from its request's send time, so a request that waits for the client is counted as
    slow too (no coordinated omission)."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    return [n / rate for n in range(int(rate * seconds))]


def booking_request(n: int, csrf_token: str, today: date, *, po_prefix: str) -> dict[str, str]:
    """The booking form's fields for the n-th request of a run: a date of its own, 40 days or more ahead,
    or the first day after it that is no public holiday (the form refuses those)."""
    day = first_day_without_holiday(today + timedelta(days=40 + n % 300))
    return {
        "csrf_token": csrf_token,
        "local_situation": f"Online haat na het debat over windmolens ({n}).",
        "themes": "online",
        "expected_participants": str(10 + n % 30),
        "part_of_day": "evening",
        "location_address": "Raadhuis, Raadhuisplein 1",
        "contact_name": "Griffie",
        "contact_phone": "070 123 4567",
        "po_number": f"{po_prefix}-{n}",
        "invoice_email": "facturen@gemeente.example",
        "date_1": day.isoformat(),
        "time_1": "19:30",
    }
