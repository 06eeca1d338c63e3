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
    text_retention: timedelta = timedelta(days=730)
    contact_retention: timedelta = timedelta(days=365)
    #: Submissions accepted per session in `rate_window` (a burst guard, far above a council's size).
    rate_limit: int = 600
    rate_window: timedelta = timedelta(minutes=10)

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackPolicy:
        return cls(
            window=timedelta(days=settings.feedback_window_days),
            threshold=settings.feedback_threshold,
            text_retention=timedelta(days=round(settings.feedback_text_retention_months * 30.44)),
            contact_retention=timedelta(days=round(settings.feedback_contact_retention_months * 30.44)),
        )
