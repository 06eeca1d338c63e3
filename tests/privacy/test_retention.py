"""The scheduled purge: expired login links and sessions, old rate-limit hits, old mail bodies."""

from __future__ import annotations

from datetime import timedelta

from server import clock
from server.app import periodic_jobs
from server.mail import OutboxAttachment, OutboxMessage, OutboxStatus
from server.models import LoginToken, RateLimitHit, Role, UserSession
from server.retention import MAIL_BODY_RETENTION, purge_expired
from server.settings import Settings
from tests.factories import make_user


async def make_mail(status: OutboxStatus, sent_days_ago: int | None, name: str) -> OutboxMessage:
    now = clock.now()
    message = await OutboxMessage.create(
        to_address=f"{name}@example.org",
        subject=f"Onderwerp {name}",
        body_text="Beste griffier,",
        body_html="<p>Beste griffier,</p>",
        status=status,
        next_attempt_at=now,
        sent_at=None if sent_days_ago is None else now - timedelta(days=sent_days_ago),
        message_id=f"<{name}@weerbaar>",
    )
    await OutboxAttachment.create(
        message=message, filename="a.ics", content_type="text/calendar", content=b"x"
    )
    return message


async def test_expired_links_and_sessions_go_live_ones_stay() -> None:
    user = await make_user(Role.CLERK)
    now = clock.now()
    await LoginToken.create(user=user, token_hash="old", expires_at=now - timedelta(seconds=1))
    await LoginToken.create(user=user, token_hash="live", expires_at=now + timedelta(minutes=10))
    await UserSession.create(
        user=user, key_hash="ended", last_seen_at=now, expires_at=now - timedelta(seconds=1)
    )
    await UserSession.create(
        user=user,
        key_hash="idle",
        last_seen_at=now - timedelta(minutes=31),
        expires_at=now + timedelta(hours=1),
    )
    await UserSession.create(
        user=user, key_hash="live", last_seen_at=now, expires_at=now + timedelta(hours=1)
    )
    await RateLimitHit.create(key="login-client:1.2.3.4", created_at=now - timedelta(days=2))
    await RateLimitHit.create(key="login-client:1.2.3.4", created_at=now)

    report = await purge_expired()

    assert (report.login_links, report.sessions, report.rate_limit_hits) == (1, 2, 1)
    assert await LoginToken.all().values_list("token_hash", flat=True) == ["live"]
    assert await UserSession.all().values_list("key_hash", flat=True) == ["live"]
    assert await RateLimitHit.all().count() == 1


async def test_the_text_of_mail_sent_over_30_days_ago_is_cleared_the_proof_of_sending_stays() -> None:
    days = MAIL_BODY_RETENTION.days
    old = await make_mail(OutboxStatus.SENT, days + 1, "oud")
    recent = await make_mail(OutboxStatus.SENT, days - 1, "recent")
    failed = await make_mail(OutboxStatus.FAILED, None, "mislukt")

    report = await purge_expired()

    assert report.mail_bodies == 1
    old = await OutboxMessage.get(id=old.id)
    assert (old.body_text, old.body_html, old.to_address, old.subject) == (
        "",
        "",
        "oud@example.org",
        "Onderwerp oud",
    )
    assert not old.can_resend and not old.has_body
    assert not await OutboxAttachment.filter(message_id=old.id).exists()
    for kept in (recent, failed):
        message = await OutboxMessage.get(id=kept.id)
        assert message.body_text == "Beste griffier," and message.can_resend
        assert await OutboxAttachment.filter(message_id=kept.id).exists()
    assert (await purge_expired()).removed_anything is False


async def test_the_purge_runs_with_the_periodic_jobs(settings: Settings) -> None:
    assert "purge_expired" in [job.__name__ for job in periodic_jobs(settings)]
