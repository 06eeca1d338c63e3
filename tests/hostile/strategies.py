"""Hostile form values for the property tests: control characters, NUL, very long text, odd unicode,
numbers out of range, template and formula syntax, and values that look right (to get past the
first check and reach the services)."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import strategies as st

CONTROL_CHARACTERS = ["\x00", "\r", "\n", "\r\n", "\t", "\x0b", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"]
INVISIBLE = ["\ufeff", "\u202e", "\u200b", "\ufffd", "😀", "Ω", "ß", "İ", "ﬁ"]

#: Values a form may well accept, so some examples reach the service behind the route.
PLAUSIBLE = [
    "",
    " ",
    "0",
    "1",
    "2",
    "3",
    "5",
    "10",
    "-1",
    "1.5",
    "12,50",
    "1.000,00",
    "2147483648",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "Infinity",
    "2030-06-15",
    "2030-06-16T19:30",
    "2026-02-30",
    "0001-01-01",
    "9999-12-31",
    "14:00",
    "19:30",
    "25:61",
    "on",
    "ja",
    "nee",
    "accept",
    "decline",
    "coordinator",
    "clerk",
    "trainer",
    "finance",
    "moderator",
    "intake",
    "session",
    "training",
    "free",
    "per_session",
    "per_participant",
    "scale",
    "text",
    "single",
    "multiple",
    "afternoon",
    "evening",
    "mon-afternoon",
    "GM0363",
    "PV27",
    "naam@example.org",
    "griffie@amsterdam.nl",
    "NL91ABNA0417164300",
    "NL123456789B01",
    "12345678",
    "Amsterdam",
]

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "{% raw %}",
    "${7*7}",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "@SUM(A1)",
    "../../../../etc/passwd",
    "file:///etc/passwd",
    "' OR 1=1 --",
    "%00",
    "%(name)s",
    "a\r\nBcc: iedereen@example.org",
]

any_text = st.text(max_size=40)
with_control = st.builds(lambda a, c, b: a + c + b, any_text, st.sampled_from(CONTROL_CHARACTERS), any_text)
long_text = st.sampled_from([255, 256, 1001, 5000]).map(lambda n: "x" * n)
big_number = st.integers(min_value=-(2**70), max_value=2**70).map(str)

value = st.one_of(
    st.sampled_from(PLAUSIBLE),
    st.sampled_from(PLAUSIBLE),
    st.sampled_from(HOSTILE),
    with_control,
    any_text,
    st.sampled_from(INVISIBLE),
    long_text,
    big_number,
)
extra_name = st.sampled_from(["csrf_token", "id", "status", "role", "organisation", "\x00", "", "x" * 300])


def form_bodies(fields: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """(name, value) pairs: each known field missing, once, or repeated; sometimes an unexpected field."""
    per_field = st.fixed_dictionaries({name: st.lists(value, max_size=3) for name in fields})
    extras = st.lists(st.tuples(extra_name, value), max_size=2)
    return st.builds(
        lambda values, more: [(name, v) for name, vs in values.items() for v in vs] + more, per_field, extras
    )


def encode(pairs: list[tuple[str, str]], multipart: bool) -> tuple[bytes, str]:
    """The request body and its content type, as a browser would send the form."""
    if not multipart:
        return urlencode(pairs).encode(), "application/x-www-form-urlencoded"
    boundary = "----weerbaar-hostile-boundary"
    parts = []
    for name, text in pairs:
        safe_name = name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{safe_name}"\r\n\r\n'.encode()
            + text.encode()
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"
