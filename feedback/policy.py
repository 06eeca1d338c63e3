"""The feedback rules' numbers: how long a form is open, the anonymity threshold, retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from server.settings import Settings


@dataclass(frozen=True)
class FeedbackPolicy:
    window: timedelta = timedelta(days=14)
    #: Results (and every aggregate) are shown only from this many responses on.
    threshold: int = 5
    #: Clerks and trainers see open answers only from this many responses (planting, docs/developer.md).
    open_answers_threshold: int = 10
    text_retention: timedelta = timedelta(days=730)
    contact_retention: timedelta = timedelta(days=365)
    #: Per client (address): responses through the open link, and wrong codes, in `rate_window`.
    #: A room on one network shares an address, so the open link's limit is above a council's size;
    #: responses with participant codes have no rate limit (each code admits one).
    open_link_limit: int = 120
    wrong_code_limit: int = 30
    rate_window: timedelta = timedelta(minutes=10)

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackPolicy:
        return cls(
            window=timedelta(days=settings.feedback_window_days),
            threshold=settings.feedback_threshold,
            open_answers_threshold=settings.feedback_open_answers_threshold,
            text_retention=timedelta(days=round(settings.feedback_text_retention_months * 30.44)),
            contact_retention=timedelta(days=round(settings.feedback_contact_retention_months * 30.44)),
        )
