"""Retention of feedback: what is deleted when, by a periodic job.

- Open answers (the text of an answer) are deleted `FeedbackPolicy.text_retention` after the session
  (default 24 months); the numbers (scales, grades, chosen options) stay for the trends.
- Contact requests (participants' e-mail addresses) are deleted once the follow-up is done, and at
  the latest `FeedbackPolicy.contact_retention` after they were made (default 12 months).

Safe to run in several processes at once: deleting what is already gone deletes nothing. An audit
entry (actor: the system) records what was removed, only when something was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from feedback.models import Answer, ContactRequest
from feedback.policy import FeedbackPolicy
from server import clock
from server.audit import record
from server.i18n import _

BATCH = 1000


@dataclass(frozen=True)
class RetentionReport:
    open_answers: int
    contact_requests: int

    @property
    def removed_anything(self) -> bool:
        return bool(self.open_answers or self.contact_requests)


async def _remove_old_texts(cutoff: datetime) -> int:
    """Delete text-only answers of sessions held before `cutoff`; blank the text of any other."""
    removed = 0
    old = Answer.filter(response__session__opens_at__lt=cutoff, text__isnull=False)
    while ids := await old.filter(number__isnull=True).limit(BATCH).values_list("id", flat=True):
        removed += await Answer.filter(id__in=list(ids)).delete()
    while ids := await old.filter(number__isnull=False).limit(BATCH).values_list("id", flat=True):
        removed += await Answer.filter(id__in=list(ids)).update(text=None)
    return removed


async def apply_retention(policy: FeedbackPolicy, now: datetime | None = None) -> RetentionReport:
    """Delete open answers older than the text retention and contact requests that are done or older
    than the contact retention; audit the counts (actor None, action "feedback_retention")."""
    now = now or clock.now()
    async with in_transaction():
        texts = await _remove_old_texts(now - policy.text_retention)
        contacts = await ContactRequest.filter(
            Q(done_at__isnull=False) | Q(created_at__lt=now - policy.contact_retention)
        ).delete()
        report = RetentionReport(open_answers=texts, contact_requests=contacts)
        if report.removed_anything:
            await record(
                None,
                "feedback_retention",
                None,
                summary=_(
                    "Bewaartermijn: {texts} open antwoorden en {contacts} contactverzoeken verwijderd."
                ).format(texts=texts, contacts=contacts),
            )
    return report
