"""The one cleaning step for every text that reaches an invoice's PDF or UBL file.

Names, addresses, purchase-order numbers and line descriptions come from forms, imports and older
data. A control character in them (a Word soft line break is U+000B) is dropped by XML writers, so a
mandatory UBL element can end up empty (BR-25, PEPPOL-EN16931-R003), and it shows as a missing glyph
in a PDF, which PDF/A forbids. So `invoicing.document` passes every text of a document through here
when the document is built, whether at issue or from its frozen content:

- `single_line`: for fields that are one line (everything but the note): line breaks (LF, CR, VT,
  FF, NEL, U+2028, U+2029) and tabs become one space, runs of spaces become one, and the ends are
  trimmed.
- `multi_line`: for the note: line breaks become `\\n`, each line is cleaned as above, blank lines at
  the ends are dropped.
- Both remove control, format, surrogate, private-use and unassigned code points (Unicode categories
  Cc, Cf, Cs, Co, Cn): none of them has a glyph or belongs in an e-invoice.

Cleaning can leave a text empty; issuing checks the required ones afterwards and refuses with a
message (`invoicing.issuing`). Cleaning twice gives the same text.
"""

from __future__ import annotations

import re
import unicodedata

#: Code points that end a line (Unicode's mandatory breaks), and the tab.
_BREAKS = frozenset("\n\r\x0b\x0c\x85\u2028\u2029")
#: Unicode categories without a glyph: control, format, surrogate, private use, unassigned.
_DROPPED = frozenset(("Cc", "Cf", "Cs", "Co", "Cn"))
_SPACES = re.compile(r" {2,}")


def _without_invisible(text: str, *, keep_breaks: bool) -> str:
    kept = []
    for char in text:
        if char in _BREAKS:
            kept.append("\n" if keep_breaks else " ")
        elif char == "\t":
            kept.append(" ")
        elif unicodedata.category(char) not in _DROPPED:
            kept.append(char)
    return "".join(kept)


def single_line(text: str) -> str:
    """`text` as one clean line (see the module docstring); may be empty."""
    if text.isprintable():  # the usual case: no control, format or break characters at all
        return _SPACES.sub(" ", text).strip()
    return _SPACES.sub(" ", _without_invisible(text, keep_breaks=False)).strip()


def multi_line(text: str) -> str:
    """`text` with its line breaks as `\\n` and each line clean; may be empty."""
    text = text.replace("\r\n", "\n")
    kept = _without_invisible(text, keep_breaks=True)
    lines = [_SPACES.sub(" ", line).strip() for line in kept.split("\n")]
    return "\n".join(lines).strip("\n")
