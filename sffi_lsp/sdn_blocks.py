"""SDN values and the block-style reader that needs no grammar.

`SdnValue`/`SdnError` are what `sffi_lsp.sdn` returns and raises. The block
subset (`key: scalar`, `key: [a, b]`, `key:` + an indented block, `- key: value`
items) is read here line by line, without importing Lark (~60 ms) or loading
its tables: wrapper specs and most manifests never need more.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple


class SdnError(Exception):
    """Malformed SDN: `line`/`column` are 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int = 0, column: int = 0, path: str | None = None):
        self.message = message
        self.line = line
        self.column = column
        self.path = path
        where = f"{path or '<sdn>'}:{line}:{column}" if line else (path or "<sdn>")
        super().__init__(f"{where}: {message}")


class SdnValue(NamedTuple):
    """A parsed value and where it starts (0-based line/column).

    `value` is a str, int, float, bool, None, list[SdnValue] or dict[str, SdnValue];
    `text` is the source token for scalars (a version `1.10` stays "1.10").
    A named tuple: a spec holds thousands and a frozen dataclass takes twice as
    long to build."""

    value: Any
    line: int
    column: int
    text: str | None = None

    def plain(self) -> Any:
        """The value without positions (nested lists/dicts of Python scalars)."""
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        return self.value


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", '"': '"', "\\": "\\", "'": "'", "{": "{", "}": "}"}


def _unquote(text: str) -> str:
    if text.startswith("'"):
        return text[1:-1]

    def esc(m: re.Match[str]) -> str:
        body = m.group(1)
        if body[0] == "u" and len(body) == 5:
            return chr(int(body[1:], 16))
        return _ESCAPES.get(body, "\\" + body)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", esc, text[1:-1])


_KEYWORDS: dict[str, Any] = {"true": True, "false": False, "null": None, "nil": None}


# --------------------------------------------------------------------------- the block-style fast path
#
# Wrapper specs and most manifests use only YAML-like blocks: `key: scalar`,
# `key: [a, b]`, `key:` + an indented block, `- key: value` items. Reading those
# line by line is ~10x faster than Lark and needs no grammar load (the first
# LALR build or seed load costs more than ten specs). Anything else -- `=`,
# tables, `{...}`, brackets across lines, tabs, duplicate keys, errors -- returns
# None and goes through the grammar, which stays the definition: the results
# are equal wherever both read a text (tests compare them).

_FAST_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*:(?!//)[ \t]*")
_FAST_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'')
_FAST_NUMBER = re.compile(r"-?(?:0|[1-9][0-9_]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_FAST_BARE = re.compile(r"[^\s,\[\]\{\}\"'#|=:-][^\s,\[\]\{\}#]*(?:[ \t]+[^\s,\[\]\{\}#]+)*")
_FAST_SPECIAL = re.compile(r"[=|{\t\r]")


class _NotFast(Exception):
    """The text leaves the block subset: the grammar reads it."""


# indent, then content up to a comment; a line with a quote, `=`, `|`, `{`, a tab or
# a carriage return does not match and takes the careful path
_FAST_LINE = re.compile(r"( *)([^ #\n\"'=|{\t\r][^#\n\"'=|{\t\r]*?)? *(?:#[^\n]*)?")


def _fast_lines(text: str) -> list[tuple[int, int, str]]:
    """(0-based line, indent, content without comment) of each line that holds something."""
    out = []
    match = _FAST_LINE.fullmatch
    for n, raw in enumerate(text.split("\n")):
        m = match(raw)
        if m is not None:
            body = m.group(2)
            if body:
                out.append((n, len(m.group(1)), body))
            continue
        if raw.isspace():
            continue
        body = raw.lstrip(" ")
        if body.startswith("#"):
            continue
        cut = _comment_start(body)
        body = (body[:cut] if cut >= 0 else body).rstrip(" ")
        if not body:
            continue
        if _FAST_SPECIAL.search(body):
            raise _NotFast
        out.append((n, len(raw) - len(raw.lstrip(" ")), body))
    return out


def _comment_start(body: str) -> int:
    i = 0
    while i < len(body):
        ch = body[i]
        if ch in "\"'":
            m = _FAST_STRING.match(body, i)
            if m is None:
                raise _NotFast
            i = m.end()
            continue
        if ch == "#":
            return i
        i += 1
    return -1


def _fast_scalar(text: str, line: int, column: int) -> SdnValue:
    first = text[0]
    if first in "\"'":
        if _FAST_STRING.fullmatch(text) is None:
            raise _NotFast
        return SdnValue(_unquote(text), line, column, text)
    if _FAST_NUMBER.fullmatch(text):
        clean = text.replace("_", "")
        return SdnValue(float(clean) if any(c in clean for c in ".eE") else int(clean), line, column, text)
    if _FAST_BARE.fullmatch(text):
        return SdnValue(_KEYWORDS.get(text, text), line, column, text)
    raise _NotFast


def _fast_value(text: str, line: int, column: int) -> SdnValue:
    if not text.startswith("["):
        return _fast_scalar(text, line, column)
    if not text.endswith("]") or "[" in text[1:]:
        raise _NotFast
    items: list[SdnValue] = []
    i = 1
    end = len(text) - 1
    while True:
        while i < end and text[i] == " ":
            i += 1
        if i >= end:
            break
        if text[i] in "\"'":
            m = _FAST_STRING.match(text, i)
            if m is None:
                raise _NotFast
            j = m.end()
        else:
            j = text.find(",", i)
            j = end if j < 0 else j
        item = text[i:j].rstrip(" ")
        if not item:
            raise _NotFast
        items.append(_fast_scalar(item, line, column + i))
        i = j
        while i < end and text[i] == " ":
            i += 1
        if i < end:
            if text[i] != ",":
                raise _NotFast
            i += 1
    # the grammar's arrays carry no bracket position (no propagate_positions): the same here
    return SdnValue(items, items[0].line if items else 0, 0)


def _fast_block(lines: list[tuple[int, int, str]], at: int, indent: int) -> tuple[SdnValue, int]:
    """The block whose entries start at `indent` from lines[at]: (value, next index)."""
    pairs: dict[str, SdnValue] = {}
    items: list[SdnValue] = []
    first: tuple[int, int] | None = None
    i = at
    while i < len(lines):
        n, ind, body = lines[i]
        if ind < indent:
            break
        if ind > indent:
            raise _NotFast
        if first is None:
            first = (n, ind)
        if body == "-" or body.startswith("- "):
            if pairs:
                raise _NotFast
            item, i = _fast_item(lines, i)
            items.append(item)
            continue
        if items:
            raise _NotFast
        key, value, i = _fast_pair(lines, i)
        if key in pairs:
            raise _NotFast
        pairs[key] = value
    assert first is not None
    if pairs:
        return SdnValue(pairs, first[0], first[1]), i
    return SdnValue(items, items[0].line, items[0].column), i


def _fast_pair(lines: list[tuple[int, int, str]], i: int, offset: int = 0) -> tuple[str, SdnValue, int]:
    n, ind, body = lines[i]
    m = _FAST_KEY.match(body, offset)
    if m is None:
        raise _NotFast
    rest = body[m.end():]
    if rest:
        return m.group(1), _fast_value(rest, n, ind + m.end()), i + 1
    if offset:
        raise _NotFast  # `- key:` + block: the grammar's indentation rules decide
    if i + 1 >= len(lines) or lines[i + 1][1] <= ind:
        raise _NotFast  # `key:` with nothing under it is an error the grammar words
    value, nxt = _fast_block(lines, i + 1, lines[i + 1][1])
    return m.group(1), value, nxt


def _fast_item(lines: list[tuple[int, int, str]], i: int) -> tuple[SdnValue, int]:
    n, ind, body = lines[i]
    if body == "-":
        if i + 1 >= len(lines) or lines[i + 1][1] <= ind:
            raise _NotFast
        inner, nxt = _fast_block(lines, i + 1, lines[i + 1][1])
        return SdnValue(inner.value, n, ind), nxt
    offset = 2
    while body[offset] == " ":
        offset += 1
    if _FAST_KEY.match(body, offset) is None:
        return _fast_value(body[offset:], n, ind + offset), i + 1
    key, value, nxt = _fast_pair(lines, i, offset)
    fields = {key: value}
    if nxt < len(lines) and lines[nxt][1] > ind:
        rest, nxt = _fast_block(lines, nxt, lines[nxt][1])
        if not isinstance(rest.value, dict):
            raise _NotFast
        for k, v in rest.value.items():
            if k in fields:
                raise _NotFast
            fields[k] = v
    return SdnValue(fields, n, ind), nxt


def parse_sdn_block_subset(text: str) -> SdnValue | None:
    """`parse_sdn`'s value for a text in the block subset, else None (never raises)."""
    try:
        lines = _fast_lines(text)
        if not lines:
            return SdnValue({}, 0, 0)
        if lines[0][1] != 0:
            return None
        value, end = _fast_block(lines, 0, 0)
        if end != len(lines) or not isinstance(value.value, dict):
            return None
        return SdnValue(value.value, 0, 0)
    except (_NotFast, IndexError, ValueError, RecursionError):
        return None
