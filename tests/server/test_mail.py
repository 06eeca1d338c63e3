"""The mail outbox against a real SMTP server (aiosmtpd on loopback): delivery, outages, refusals,
retries, leases and concurrent senders. No mocks: what counts is what the server received."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from email.utils import make_msgid
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from tortoise.transactions import in_transaction

from server import clock
from server.clock import Clock
from server.mail import (
    Attachment,
    OutboxAttachment,
    OutboxMessage,
    OutboxStatus,
    compose_mails,
    queue_mail,
    resend,
    store_mails,
)
from server.mail_sender import (
    LEASE,
    MAX_ATTEMPTS,
    _record_outcome,
    claim_due,
    deliver_due,
    retry_delay,
    run_sender,
)
from server.models import AuditEntry, Role
from tests.factories import make_user
from tests.query_counter import count_queries
from tests.smtp import SmtpSink, free_port

MAIL_FROM = "Weerbaar <noreply@weerbaar.example>"


async def make_message(to_address: str = "griffier@zeist.nl", **overrides: Any) -> OutboxMessage:
    values: dict[str, Any] = {
        "to_address": to_address,
        "subject": "Uw inloglink voor Weerbaar",
        "body_text": "Hallo,\n\nKlik op de link.\n",
        "body_html": "<p>Hallo,</p><p>Klik op de link.</p>",
        "next_attempt_at": clock.now(),
        "message_id": make_msgid(domain="weerbaar"),
    }
    values.update(overrides)
    return await OutboxMessage.create(**values)


async def make_messages(count: int) -> list[OutboxMessage]:
    now = clock.now()
    rows = [
        OutboxMessage(
            to_address=f"ontvanger{n}@example.org",
            subject=f"Bericht {n}",
            body_text=f"Tekst {n}",
            body_html=f"<p>Tekst {n}</p>",
            next_attempt_at=now,
            message_id=make_msgid(domain="weerbaar"),
        )
        for n in range(count)
    ]
    await OutboxMessage.bulk_create(rows)
    return await OutboxMessage.all()


async def is_anything_due() -> bool:
    return await OutboxMessage.filter(
        status__in=[OutboxStatus.QUEUED, OutboxStatus.SENDING], next_attempt_at__lte=clock.now()
    ).exists()


async def deliver_until_nothing_due(smtp_url: str, limit: int = 20) -> int:
    """What the sender loop does, with a bound so that a bug cannot hang the test."""
    sent = 0
    for _round in range(100):
        if not await is_anything_due():
            return sent
        sent += await deliver_due(smtp_url, MAIL_FROM, limit=limit)
    raise AssertionError("still mail due after 100 rounds")


async def make_all_due() -> None:
    await OutboxMessage.filter(status=OutboxStatus.QUEUED).update(next_attempt_at=clock.now())


def message_ids(sink: SmtpSink) -> Counter[str]:
    return Counter(str(message["Message-ID"]) for message in sink.messages)


# --- delivery ------------------------------------------------------------------------------------


async def test_queued_login_mail_arrives_once_with_text_and_html(smtp_sink: SmtpSink) -> None:
    user = await make_user(name="Anne de Vries", email="anne@zeist.nl")
    link = "https://weerbaar.example/inloggen/link/abc-123"
    queued = await queue_mail(user.email, "auth/login_link", {"user": user, "link": link, "minutes": 15})

    assert await deliver_due(smtp_sink.url, MAIL_FROM) == 1

    [received] = smtp_sink.messages
    assert received["To"] == "anne@zeist.nl"
    assert received["From"] == MAIL_FROM
    assert received["Subject"] == "Uw inloglink voor Weerbaar"
    assert received["Message-ID"] == queued.message_id
    assert received["Date"] is not None
    assert link in smtp_sink.text_of(received)
    assert "Anne de Vries" in smtp_sink.text_of(received)
    html = received.get_body(preferencelist=("html",))
    assert html is not None
    assert link in html.get_content()
    row = await OutboxMessage.get(id=queued.id)
    assert row.status is OutboxStatus.SENT
    assert row.sent_at is not None
    assert row.attempts == 1
    assert row.last_error == ""

    assert await deliver_due(smtp_sink.url, MAIL_FROM) == 0
    assert len(smtp_sink.messages) == 1


async def test_mail_queued_in_a_rolled_back_transaction_is_never_there() -> None:
    user = await make_user()
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await queue_mail(user.email, "auth/login_link", {"user": user, "link": "x", "minutes": 15})
            raise RuntimeError("the change failed")

    assert await OutboxMessage.all().count() == 0


async def test_one_mail_to_many_arrives_once_at_each_address_with_its_own_message_id(
    smtp_sink: SmtpSink,
) -> None:
    user = await make_user(name="Anne de Vries")
    link = "https://weerbaar.example/inloggen/link/abc-123"
    addresses = ["een@zeist.nl", "twee@zeist.nl", "drie@zeist.nl"]
    context = {"user": user, "link": link, "minutes": 15}
    async with count_queries() as counter:
        await store_mails(await compose_mails(addresses, "auth/login_link", context))
    # The recipients' languages (server.languages), then every row in one statement.
    assert counter.total == 2, counter.statements
    single = await queue_mail("vier@zeist.nl", "auth/login_link", context)

    assert await deliver_due(smtp_sink.url, MAIL_FROM) == 4

    received = {message["To"]: message for message in smtp_sink.messages}
    assert sorted(received) == sorted([*addresses, "vier@zeist.nl"])
    assert len(message_ids(smtp_sink)) == 4
    for address in addresses:
        assert received[address]["Subject"] == single.subject
        assert smtp_sink.text_of(received[address]) == smtp_sink.text_of(received["vier@zeist.nl"])


async def test_one_mail_to_many_with_an_attachment_carries_it_to_each() -> None:
    user = await make_user()
    invite = Attachment("sessie.ics", "text/calendar; method=REQUEST", b"BEGIN:VCALENDAR")
    context = {"user": user, "link": "x", "minutes": 15}
    composed = await compose_mails(["een@zeist.nl", "twee@zeist.nl"], "auth/login_link", context)
    await store_mails(composed, [invite])
    await store_mails(await compose_mails([], "auth/login_link", context), [invite])
    await store_mails([])

    messages = await OutboxMessage.all().order_by("id")
    assert [m.to_address for m in messages] == ["een@zeist.nl", "twee@zeist.nl"]
    for message in messages:
        [attachment] = await OutboxAttachment.filter(message=message)
        assert (attachment.filename, bytes(attachment.content)) == ("sessie.ics", b"BEGIN:VCALENDAR")


async def test_unknown_smtp_scheme_is_refused_before_any_row_is_claimed() -> None:
    message = await make_message()

    with pytest.raises(ValueError, match="schema"):
        await deliver_due("http://127.0.0.1:25", MAIL_FROM)

    row = await OutboxMessage.get(id=message.id)
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 0)


async def test_run_sender_delivers_until_stopped(smtp_sink: SmtpSink) -> None:
    message = await make_message()
    stop = asyncio.Event()
    sender = asyncio.create_task(run_sender(smtp_sink.url, MAIL_FROM, stop))
    try:
        async with asyncio.timeout(30):  # a generous limit: a loaded machine is slow, not wrong
            while (await OutboxMessage.get(id=message.id)).status is not OutboxStatus.SENT:
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.wait_for(sender, timeout=30)

    assert len(smtp_sink.messages) == 1


# --- outages and refusals ------------------------------------------------------------------------


async def test_outage_keeps_mail_queued_and_delivers_each_exactly_once_afterwards(
    smtp_sink: SmtpSink,
) -> None:
    await make_messages(200)
    smtp_sink.stop()

    assert await deliver_until_nothing_due(smtp_sink.url) == 0

    rows = await OutboxMessage.all()
    assert {row.status for row in rows} == {OutboxStatus.QUEUED}
    assert {row.attempts for row in rows} == {1}
    assert all(row.last_error for row in rows)
    assert all(row.next_attempt_at > clock.now() + retry_delay(1) / 2 for row in rows)

    smtp_sink.start()
    await make_all_due()
    assert await deliver_until_nothing_due(smtp_sink.url) == 200

    counts = message_ids(smtp_sink)
    assert len(counts) == 200
    assert sum(counts.values()) == 200
    assert set(counts) == {row.message_id for row in rows}
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 200


async def test_temporary_refusal_is_retried_later(smtp_sink: SmtpSink) -> None:
    message = await make_message()
    smtp_sink.reply = "451 4.3.0 Probeer het later"

    assert await deliver_due(smtp_sink.url, MAIL_FROM) == 0

    row = await OutboxMessage.get(id=message.id)
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 1)
    assert "451" in row.last_error
    assert row.next_attempt_at > clock.now()

    smtp_sink.reply = None
    await make_all_due()
    assert await deliver_due(smtp_sink.url, MAIL_FROM) == 1
    row = await OutboxMessage.get(id=message.id)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 2, "")


async def test_permanent_refusal_fails_the_mail_until_a_coordinator_resends_it(
    smtp_sink: SmtpSink,
) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    message = await make_message()
    smtp_sink.reply = "550 5.1.1 Mailbox bestaat niet"

    assert await deliver_due(smtp_sink.url, MAIL_FROM) == 0

    row = await OutboxMessage.get(id=message.id)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)
    assert "550" in row.last_error
    assert row.can_resend
    await OutboxMessage.filter(id=message.id).update(next_attempt_at=clock.now() - timedelta(days=1))
    assert await deliver_due(smtp_sink.url, MAIL_FROM) == 0
    assert (await OutboxMessage.get(id=message.id)).attempts == 1

    smtp_sink.reply = None
    resent = await resend(message.id, actor=coordinator)
    assert (resent.status, resent.attempts) == (OutboxStatus.QUEUED, 0)
    [entry] = await AuditEntry.filter(action="mail_resent")
    assert (entry.object_type, entry.object_id) == ("OutboxMessage", str(message.id))
    assert entry.actor_id == coordinator.id

    assert await deliver_due(smtp_sink.url, MAIL_FROM) == 1
    assert (await OutboxMessage.get(id=message.id)).status is OutboxStatus.SENT
    assert len(smtp_sink.messages) == 1


async def test_resending_a_sent_mail_gives_it_a_new_message_id(smtp_sink: SmtpSink) -> None:
    """Mail providers drop a second message with a Message-ID they already have."""
    coordinator = await make_user(Role.COORDINATOR)
    message = await make_message()
    await deliver_due(smtp_sink.url, MAIL_FROM)

    await resend(message.id, actor=coordinator)
    assert await deliver_due(smtp_sink.url, MAIL_FROM) == 1

    assert len(message_ids(smtp_sink)) == 2
    assert [m["To"] for m in smtp_sink.messages] == [message.to_address] * 2


async def test_resending_mail_that_is_on_its_way_changes_nothing() -> None:
    """A double click must not send a mail twice, nor disturb the sender that holds it."""
    coordinator = await make_user(Role.COORDINATOR)
    message = await make_message()
    [claimed] = await claim_due()

    await resend(message.id, actor=coordinator)
    await resend(message.id, actor=coordinator)

    row = await OutboxMessage.get(id=message.id)
    assert (row.status, row.next_attempt_at) == (OutboxStatus.SENDING, claimed.next_attempt_at)
    assert not await AuditEntry.filter(action="mail_resent").exists()


# --- a second kind of server: refusing recipients or the connection itself ----------------------


class _PickyHandler:
    """Refuses recipients 'onbekend@…', hangs up in the middle of a mail to 'ophangen@…' (a server
    that goes down mid-batch), and keeps the rest."""

    def __init__(self) -> None:
        self.received: list[Any] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("onbekend@"):
            return "550 5.1.1 Onbekende ontvanger"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if envelope.rcpt_tos[0].startswith("ophangen@"):
            server.transport.close()
            return "421 4.3.2 Verbinding verbroken"
        self.received.append(envelope)
        return "250 OK"


@pytest.fixture
def picky_server() -> Iterator[tuple[str, _PickyHandler]]:
    """An SMTP server without SMTPUTF8, like many relays."""
    handler = _PickyHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", handler
    finally:
        controller.stop()


@contextlib.asynccontextmanager
async def server_greeting(reply: str) -> AsyncIterator[str]:
    """A server that answers every connection with `reply` and hangs up."""

    async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(f"{reply}\r\n".encode())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(greet, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"smtp://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


async def test_refused_recipient_fails_that_mail_and_the_batch_goes_on(
    picky_server: tuple[str, _PickyHandler],
) -> None:
    url, handler = picky_server
    unknown = await make_message("onbekend@example.org")
    known = await make_message("bekend@example.org")

    assert await deliver_due(url, MAIL_FROM) == 1

    row = await OutboxMessage.get(id=unknown.id)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)
    assert "550" in row.last_error
    assert (await OutboxMessage.get(id=known.id)).status is OutboxStatus.SENT
    assert [envelope.rcpt_tos for envelope in handler.received] == [["bekend@example.org"]]


async def test_a_server_refusing_the_connection_is_an_outage_not_a_refusal_of_the_mail() -> None:
    """A 5xx greeting (or a failed login) says nothing about the mail: retry, do not fail it."""
    message = await make_message()

    async with server_greeting("554 5.3.2 Geen dienst") as url:
        assert await deliver_due(url, MAIL_FROM) == 0

    row = await OutboxMessage.get(id=message.id)
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 1)
    assert "554" in row.last_error


async def test_a_connection_lost_mid_batch_requeues_what_was_not_tried(
    picky_server: tuple[str, _PickyHandler],
) -> None:
    """The mail in flight counts an attempt and waits; the untried rest is due again at once."""
    url, handler = picky_server
    first = await make_message("eerste@example.org")
    in_flight = await make_message("ophangen@example.org")
    untried = await make_message("derde@example.org")

    assert await deliver_due(url, MAIL_FROM) == 1

    assert (await OutboxMessage.get(id=first.id)).status is OutboxStatus.SENT
    row = await OutboxMessage.get(id=in_flight.id)
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 1)
    assert row.next_attempt_at > clock.now()
    row = await OutboxMessage.get(id=untried.id)
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 0)
    assert row.next_attempt_at <= clock.now()

    assert await deliver_due(url, MAIL_FROM) == 1
    assert (await OutboxMessage.get(id=untried.id)).status is OutboxStatus.SENT
    assert [envelope.rcpt_tos for envelope in handler.received] == [
        ["eerste@example.org"],
        ["derde@example.org"],
    ]


async def test_a_mail_that_cannot_be_built_fails_without_holding_up_the_rest(smtp_sink: SmtpSink) -> None:
    injected = await make_message("anne@zeist.nl\nBcc: iedereen@example.org")
    fine = await make_message("bert@zeist.nl")

    assert await deliver_due(smtp_sink.url, MAIL_FROM) == 1

    row = await OutboxMessage.get(id=injected.id)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)
    assert (await OutboxMessage.get(id=fine.id)).status is OutboxStatus.SENT
    assert [m["To"] for m in smtp_sink.messages] == ["bert@zeist.nl"]


async def test_a_non_ascii_address_the_server_cannot_take_fails_at_once(
    picky_server: tuple[str, _PickyHandler], smtp_sink: SmtpSink
) -> None:
    """Without SMTPUTF8 this server will never take it; one that has it (the sink) does."""
    url, handler = picky_server
    message = await make_message("jösé@zeist.nl")

    assert await deliver_due(url, MAIL_FROM) == 0

    row = await OutboxMessage.get(id=message.id)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)
    assert "SMTPUTF8" in row.last_error
    assert handler.received == []

    await OutboxMessage.filter(id=message.id).update(status=OutboxStatus.QUEUED, next_attempt_at=clock.now())
    assert await deliver_due(smtp_sink.url, MAIL_FROM) == 1
    assert smtp_sink.messages[0]["To"] == "jösé@zeist.nl"


# --- leases --------------------------------------------------------------------------------------


async def test_a_claim_whose_lease_ran_out_is_delivered_by_the_next_round(smtp_sink: SmtpSink) -> None:
    """The sender that claimed it died; a live sender's claim is left alone."""
    now = clock.now()
    orphan = await make_message(status=OutboxStatus.SENDING, next_attempt_at=now - timedelta(seconds=1))
    held = await make_message(status=OutboxStatus.SENDING, next_attempt_at=now + LEASE)

    assert await deliver_due(smtp_sink.url, MAIL_FROM) == 1

    assert (await OutboxMessage.get(id=orphan.id)).status is OutboxStatus.SENT
    assert (await OutboxMessage.get(id=held.id)).status is OutboxStatus.SENDING
    assert [m["Message-ID"] for m in smtp_sink.messages] == [orphan.message_id]


async def test_a_late_outcome_from_a_sender_that_lost_its_lease_is_ignored(fixed_clock: Clock) -> None:
    """A slow sender outlives its lease; a second sender takes the row over. The slow one's late
    failure must not put the row back in the queue, or the second one's success would be lost."""
    message = await make_message()
    [slow_claim] = await claim_due()
    fixed_clock.advance(LEASE + timedelta(seconds=1))
    [new_claim] = await claim_due()

    await _record_outcome(slow_claim, TimeoutError("the slow sender finally gives up"))
    row = await OutboxMessage.get(id=message.id)
    assert (row.status, row.attempts, row.next_attempt_at) == (
        OutboxStatus.SENDING,
        0,
        new_claim.next_attempt_at,
    )

    await _record_outcome(new_claim, None)
    row = await OutboxMessage.get(id=message.id)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 1, "")


# --- retries -------------------------------------------------------------------------------------


def test_retry_delay_grows_and_is_capped() -> None:
    delays = [retry_delay(attempts) for attempts in range(1, MAX_ATTEMPTS + 5)]

    assert delays[0] == timedelta(seconds=30)
    assert all(a <= b for a, b in itertools.pairwise(delays))
    assert delays[1] == 2 * delays[0]
    assert max(delays) == timedelta(hours=1)
    assert delays[-1] == timedelta(hours=1)
    retrying = sum(delays[: MAX_ATTEMPTS - 1], timedelta())
    assert timedelta(hours=4) < retrying < timedelta(hours=6)


async def test_after_max_attempts_temporary_failures_the_mail_fails(smtp_sink: SmtpSink) -> None:
    message = await make_message()
    smtp_sink.reply = "451 4.3.0 Probeer het later"

    for attempt in range(1, MAX_ATTEMPTS + 1):
        await make_all_due()
        assert await deliver_due(smtp_sink.url, MAIL_FROM) == 0
        row = await OutboxMessage.get(id=message.id)
        assert row.attempts == attempt
        expected = OutboxStatus.FAILED if attempt == MAX_ATTEMPTS else OutboxStatus.QUEUED
        assert row.status is expected

    await OutboxMessage.filter(id=message.id).update(next_attempt_at=clock.now())
    assert not await claim_due()


# --- concurrency ---------------------------------------------------------------------------------


async def test_concurrent_senders_deliver_each_mail_exactly_once(smtp_sink: SmtpSink, db_kind: str) -> None:
    if db_kind != "postgres":
        pytest.skip("FOR UPDATE SKIP LOCKED is what is tested; SQLite has one writer anyway")
    await make_messages(100)

    async def sender_loop() -> int:
        sent = 0
        while delivered := await deliver_due(smtp_sink.url, MAIL_FROM, limit=10):
            sent += delivered
        return sent

    counts = await asyncio.gather(*(sender_loop() for _ in range(4)))

    assert sum(counts) == 100
    ids = message_ids(smtp_sink)
    assert len(ids) == 100
    assert sum(ids.values()) == 100
    assert await OutboxMessage.filter(status=OutboxStatus.SENT).count() == 100
