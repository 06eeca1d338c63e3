"""Hypothesis runs deterministically here: the same examples on every machine and in CI, no example
database between runs, and no deadline (a request's time depends on the machine and the database)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "weerbaar",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("weerbaar")
