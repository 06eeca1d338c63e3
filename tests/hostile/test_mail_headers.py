"""Control characters in names, subjects and addresses never reach a mail header (issue 8).

Subjects and attachment names, which quote names typed by users, become one plain line; an address
holding a control character is refused when the mail is built, so that mail fails (coordinators see
it) and no other recipient can be smuggled in. Checked on the messages a real SMTP server received.
"""

from __future__ import annotations

import unicodedata
from email.message import EmailMessage
from email.utils import make_msgid
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server import clock
from server.mail import Attachment, OutboxAttachment, OutboxMessage, OutboxStatus, header_text, queue_mail
from server.mail_sender import build_email, deliver_due
from tests.hostile.strategies import CONTROL_CHARACTERS
from tests.smtp import SmtpSink

MAIL_FROM = "Weerbaar <noreply@weerbaar.example>"
FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}
#: No NUL: PostgreSQL cannot store it, and forms drop it (`read_form`); the built-mail tests cover it.
HOSTILE_NAME = "Zeist\r\nBcc: iedereen@example.org\x0b\x1b[31m\u2028\u2029\x85\ufeff\u202eeinde"

forbidden_character = st.one_of(
    st.sampled_from(CONTROL_CHARACTERS),
    st.characters(categories=["Cc", "Cf", "Zl", "Zp"]),
)
text_with_forbidden = st.builds(
    lambda a, c, b: a + c + b, st.text(max_size=30), forbidden_character, st.text(max_size=30)
)


def forbidden_in(value: str) -> list[str]:
    return [c for c in value if unicodedata.category(c) in FORBIDDEN_CATEGORIES]


def header_values(message: EmailMessage) -> list[tuple[str, str]]:
    """Every header of the message and of each of its parts, decoded."""
    return [(name, str(value)) for part in message.walk() for name, value in part.items()]


def outbox_row(to_address: str = "griffier@zeist.nl", subject: str = "Onderwerp") -> OutboxMessage:
    return OutboxMessage(
        id=1,
        to_address=to_address,
        subject=subject,
        body_text="tekst",
        body_html="<p>tekst</p>",
        next_attempt_at=clock.now(),
        message_id=make_msgid(domain="weerbaar"),
    )


@given(subject=st.one_of(st.text(max_size=80), text_with_forbidden), filename=text_with_forbidden)
def test_no_header_of_a_built_mail_holds_a_control_character(subject: str, filename: str) -> None:
    attachment = OutboxAttachment(filename=filename, content_type="text/plain", content=b"x")
    email = build_email(outbox_row(subject=subject), MAIL_FROM, [attachment])
    for name, value in header_values(email):
        assert not forbidden_in(value), (name, value)
    assert str(email["Subject"]) == header_text(subject)


@given(address=text_with_forbidden)
def test_an_address_with_a_control_character_is_refused(address: str) -> None:
    with pytest.raises(ValueError, match="address"):
        build_email(outbox_row(to_address=address), MAIL_FROM)


@given(value=text_with_forbidden)
def test_header_text_is_one_plain_line_keeping_the_visible_text(value: str) -> None:
    cleaned = header_text(value)
    assert not forbidden_in(cleaned)
    assert cleaned == cleaned.strip() and "  " not in cleaned
    visible = [c for c in value if not forbidden_in(c) and not c.isspace()]
    assert [c for c in cleaned if not c.isspace()] == visible


async def test_hostile_names_reach_the_server_only_as_one_line_subjects(smtp_sink: SmtpSink) -> None:
    context = {
        "organisation": SimpleNamespace(name=HOSTILE_NAME),
        "clerk": SimpleNamespace(name=HOSTILE_NAME),
        "link": "http://testserver/boeken",
    }
    await queue_mail("griffier@zeist.nl", "bookings/tour_invitation", context)
    await queue_mail(
        "griffier@zeist.nl",
        "auth/login_link",
        {"user": SimpleNamespace(name=HOSTILE_NAME), "link": "http://testserver/x", "minutes": 15},
        [Attachment(f"uitnodiging {HOSTILE_NAME}.ics", "text/calendar; method=REQUEST", b"BEGIN:VCALENDAR")],
    )

    assert await deliver_due(smtp_sink.url, MAIL_FROM) == 2

    assert [m["To"] for m in smtp_sink.messages] == ["griffier@zeist.nl", "griffier@zeist.nl"]
    invitation, login = smtp_sink.messages
    assert str(invitation["Subject"]).endswith("komt graag naar Zeist")  # the name's first line only
    for message in smtp_sink.messages:
        assert "Bcc" not in message and "bcc" not in message.as_string().split("\n\n", 1)[0].lower()
        for name, value in header_values(message):
            assert not forbidden_in(value), (name, value)
    [calendar] = list(login.iter_attachments())
    assert calendar.get_filename() == "uitnodiging Zeist Bcc: iedereen@example.org [31m einde.ics"


@pytest.mark.parametrize(
    "address", ["anne@zeist.nl\r\nBcc: iedereen@example.org", "anne@zeist.nl\x0b", "a\u2028b@zeist.nl"]
)
async def test_a_mail_to_an_address_with_a_control_character_fails_and_is_never_sent(
    smtp_sink: SmtpSink, address: str
) -> None:
    refused = await queue_mail(
        address, "auth/login_link", {"user": SimpleNamespace(name="Anne"), "link": "x", "minutes": 15}
    )
    fine = await queue_mail(
        "bert@zeist.nl", "auth/login_link", {"user": SimpleNamespace(name="Bert"), "link": "x", "minutes": 15}
    )

    assert await deliver_due(smtp_sink.url, MAIL_FROM) == 1

    assert (await OutboxMessage.get(id=refused.id)).status is OutboxStatus.FAILED
    assert (await OutboxMessage.get(id=fine.id)).status is OutboxStatus.SENT
    assert [m["To"] for m in smtp_sink.messages] == ["bert@zeist.nl"]


async def test_hostile_names_stay_text_in_both_parts_of_a_mail(smtp_sink: SmtpSink) -> None:
    name = "<script>alert(1)</script>{{ 7*7 }}=cmd|' /C calc'!A0"
    context = {"organisation": SimpleNamespace(name=name), "clerk": SimpleNamespace(name=name), "link": "x"}
    await queue_mail("griffier@zeist.nl", "bookings/tour_invitation", context)

    assert await deliver_due(smtp_sink.url, MAIL_FROM) == 1

    [message] = smtp_sink.messages
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}" in html and "<script>" not in html
    assert name in SmtpSink.text_of(message)  # plain text: shown as typed, nothing evaluated
    assert "49" not in SmtpSink.text_of(message)
