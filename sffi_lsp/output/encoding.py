"""Output is always valid UTF-8.

Names read from ELF string tables are decoded with `surrogateescape`, so a byte
that is not UTF-8 (a corrupt `.dynstr`) survives as a lone surrogate; written
as it is, it would make the output invalid UTF-8 (or fail to encode). Every
byte that was not UTF-8 is shown as the four characters `\\x8a`: the same text
in plain output and, inside JSON and SARIF strings, a value that reads `\\x8a`.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def _text_escape(m: re.Match) -> str:
    c = ord(m.group())
    return f"\\x{c - 0xDC00:02x}" if 0xDC80 <= c <= 0xDCFF else f"\\u{c:04x}"


def _json_escape(m: re.Match) -> str:
    return "\\" + _text_escape(m)  # a backslash in a JSON string is written `\\`


def valid_utf8(text: str, *, json: bool = False) -> str:
    """`text` with every lone surrogate shown escaped (`\\x8a` for an undecodable byte).

    With `json=True`, `text` is JSON whose strings may hold raw surrogates (the
    encoder's `ensure_ascii=False`): the escape is written so that the string's value
    is `\\x8a`. Surrogates cannot occur outside strings in JSON made by this package."""
    if _SURROGATE.search(text) is None:  # the usual case: one C-level scan
        return text
    return _SURROGATE.sub(_json_escape if json else _text_escape, text)
