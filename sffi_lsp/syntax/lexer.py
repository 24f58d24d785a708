"""Lexical masking: find strings and comments once, blank them out.

`mask(text)` returns the *masked* text: same length and same line breaks as the
input, with comment text and string contents replaced by spaces (a one-line
string keeps its quotes, so `f("x")` still reads as a call with one argument).
Every later pass (chunking, calls, extern extents) works on the masked text
with plain regexes and `str.count`, so `extern fn` inside a comment, a
docstring or a string can never be mistaken for a declaration.

Rules (see docs of the language): `#` starts a line comment except `#[`;
`///` starts a doc line comment, and a `///` alone on its line opens a doc
block closed by the next `///`-only line (as the compiler's lexer reads them);
`/* */` nests; `"..."` has backslash escapes (a backslash before a line break
continues the string) and `{expr}` interpolation (the expression is kept, so
calls inside interpolations are still seen; an interpolation may hold nested
strings and braces, `"{xs.join(", ")}"`, `"{f({k: 1})}"`); `r"..."` is raw;
`'...'` is a raw string, but `'outer` with no closing tick on its line is a
loop label; triple-quoted strings span lines. (String rules as the compiler's
lexer reads them: compiler_rust/parser/src/lexer/{strings,escapes,mod}.rs.)
A one-line string that is not closed ends at the end of its line, an unclosed
block comment or triple-quoted string at the end of the file: any input
yields a result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Every branch starts with a literal, so `re` skips ahead with a charset scan.
_LEX = re.compile(r"""#|"|'|/\*|///""")
# A backslash escapes any character, a line break too: `"...\` + newline
# continues the string on the next line (compiler_rust lexer/escapes.rs).
_DQ = re.compile(r'"(?:[^"\\\n]|\\[\s\S])*"?')
_SQ = re.compile(r"'(?:[^'\\\n]|\\.)*'?")
# `'outer` (a letter after the tick, no closing tick on the line) is a loop
# label, not a string (compiler_rust/parser/src/lexer/mod.rs).
_LABEL = re.compile(r"'[^\W\d][^'\n]*(?:\n|\Z)")
_RAW = re.compile(r'"[^"\n]*"?')
_BLOCK_EDGE = re.compile(r"/\*|\*/")
# A `///` alone on its line, not followed by another `///` line, opens a doc
# block that runs to the next line holding only `///` (or to the end).
_DOC_BLOCK = re.compile(r"///[ \t]*\n(?![ \t]*///)(?:[^\n]*\n)*?(?:[ \t]*///[ \t]*(?=[\r\n]|\Z)|[^\n]*\Z)")
_NOT_NL = re.compile(r"[^\n]")
# `{expr}` inside a string: kept when it holds no quote/brace (JSON-looking
# literals such as "{\"k\":1}" contain quotes and stay blanked).
_INTERP = re.compile(r"\{([^{}\"'\\\n]*)\}")


@dataclass(frozen=True, slots=True)
class Comment:
    start: int
    end: int
    text: str  # raw comment text including its markers


def _blank(s: str) -> str:
    return _NOT_NL.sub(" ", s) if "\n" in s else " " * len(s)


def _mask_string(s: str, quote_len: int = 1) -> str:
    """Blank a one-line string's contents, keep its quotes and interpolations.

    (About half of all strings interpolate: this runs thousands of times per
    file set, hence the flat code.)"""
    n = len(s)
    c = s[0]
    closed = n >= 2 * quote_len and s[-1] == s[quote_len - 1] and n > quote_len
    inner = s[quote_len:n - 1] if closed else s[quote_len:]
    if "{" in inner and c != "r":
        parts = [s[:quote_len]]
        last = 0
        for m in _INTERP.finditer(inner):
            expr = m.group(1)
            if ("(" in expr or "[" in expr or ")" in expr or "]" in expr) and (
                    expr.count("(") != expr.count(")") or expr.count("[") != expr.count("]")):
                continue
            parts.append(" " * (m.start() - last + 1))
            parts.append(expr)
            parts.append(" ")
            last = m.end()
        parts.append(" " * (len(inner) - last))
        if closed:
            parts.append(s[-1])
        return "".join(parts)
    head = s[:quote_len] if c != "r" else " " + s[1:quote_len]
    return head + " " * len(inner) + (s[-1] if closed else "")


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


# One alternation for the whole file, run by `re.sub`: the scan is C code and
# Python only builds each token's replacement. Same rules as `mask_range`,
# which stays the reference and handles what this cannot: nested or unclosed
# block comments (`bad`) send the whole file to it.
_TOKENS = re.compile(
    # every branch starts with a literal (the kind is an empty group at its end),
    # so `re` skips ordinary text with its fast first-character scan
    r"#(?!\[)[^\n]*(?P<lc>)"
    r'|"""[\s\S]*?(?:"""|\Z)(?P<tq>)' r"|'''[\s\S]*?(?:'''|\Z)(?P<tq2>)"
    r"|///[ \t]*\n(?![ \t]*///)(?:[^\n]*\n)*?(?:[ \t]*///[ \t]*(?=[\r\n]|\Z)|[^\n]*\Z)(?P<db>)"
    r"|///[^\n]*(?P<dl>)"
    r"|/\*[^*/]*(?:(?:\*(?!/)|/(?!\*))[^*/]*)*\*/(?P<bc>)"
    r"|/\*(?P<bad>)"
    r'''|"[^"\\\n]*(?:\\[\s\S][^"\\\n]*)*"?(?P<dq>)'''
    # a `'` before a letter with no other `'` on its line is a loop label
    r"""|'(?![^\W\d][^'\n]*(?:\n|\Z))[^'\\\n]*(?:\\.[^'\\\n]*)*'?(?P<sq>)"""
)


# --- Interpolations holding nested strings --------------------------------
# The compiler's lexer (compiler_rust/parser/src/lexer/strings.rs) reads
# `{expr}` inside a double-quoted string as an expression in which a nested
# string may open (`"{xs.join(", ")}"`, `"{env("HOME")}"`): the outer string
# does not end at the nested quotes. A nested `"` opens a string only where an
# operand is expected (inside `(`/`[`, after an operator, `,`, `if`/`else`/
# `match`); elsewhere it closes the outer string and the `{` was a literal
# brace. A newline inside an interpolation, or one left open at the closing
# quote, also makes that `{` literal. `{{`, `{\`, `{'` and `{"` are literal.

_MAY_OPEN_OPS = ("==", "!=", "<=", ">=", "??", "<", ">", "+", "-", "*", "/", "%", ",", "(", "[")
_MAY_OPEN_WORDS = re.compile(r"(?<![A-Za-z0-9_])(?:if|else|match)(?![A-Za-z0-9_])")
_ENDS_WITH_WORD_OP = re.compile(r"(?:^|[^A-Za-z0-9_])(?:and|or|not|in)$")


def _nested_string_may_open(expr: str) -> bool:
    if _MAY_OPEN_WORDS.search(expr):
        return True
    t = expr.rstrip()
    if not t:
        return False
    return t.endswith(_MAY_OPEN_OPS) or _ENDS_WITH_WORD_OP.search(t) is not None


# Work allowed for reading interpolations, per masking call: twice the text
# plus this. A failed `{` (a literal brace) rescans to its line's end, so a long
# line of `{ { {` or `"{f("{f(` would otherwise be quadratic. Past it, strings
# are read as if they had no interpolation (same order, same decisions in
# `mask` and `mask_range`).
_SCAN_BUDGET = 1 << 14
_ABORT = (-1, [])


def _interpolation(text: str, b: int, limit: int) -> tuple[tuple[int, list[tuple[int, int]]] | None, int]:
    """Read the expression of an interpolation whose `{` is at b-1, scanning
    no further than `limit`.

    Returns ((index just past the closing `}`, spans of nested string
    contents) or None when the `{` is a literal brace, or `_ABORT` when
    `limit` was reached; index where the scan stopped)."""
    depth = 1
    parens = 0
    quote = ""  # the nested string's quote, "" outside one
    qstart = 0
    nested: list[tuple[int, int]] = []
    j = b
    while j < limit:
        c = text[j]
        if c == "\n":
            return None, j
        if c == "\\":
            nxt = text[j + 1] if j + 1 < limit else ""
            if nxt == '"' or nxt == "'":  # an escaped quote is a quote in the expression
                if quote:
                    if quote == nxt:
                        quote = ""
                        nested.append((qstart, j))
                else:
                    quote = nxt
                    qstart = j + 2
                j += 2
            elif nxt == "\\" or nxt == "n" or nxt == "t":
                j += 2
            else:
                j += 1
            continue
        if c == '"':
            if quote:
                if quote == c:
                    quote = ""
                    nested.append((qstart, j))
            elif parens == 0 and not _nested_string_may_open(text[b:j]):
                return None, j
            else:
                quote = c
                qstart = j + 1
            j += 1
            continue
        if c == "'":
            if quote:
                if quote == c:
                    quote = ""
                    nested.append((qstart, j))
            elif j == b or not (_is_word(text[j - 1]) or text[j - 1] == ")"):
                quote = c  # not a transpose: a nested single-quoted string
                qstart = j + 1
            j += 1
            continue
        if not quote:
            if c == "}":
                depth -= 1
                if depth == 0:
                    return (j + 1, nested), j
            elif c == "{":
                depth += 1
            elif c == "(" or c == "[":
                parens += 1
            elif (c == ")" or c == "]") and parens:
                parens -= 1
        j += 1
    return (_ABORT if limit < len(text) else None), j


def _scan_dq(text: str, a: int, n: int,
             budget: list[int]) -> tuple[int, list[tuple[int, int, list[tuple[int, int]]]]]:
    """Extent of the (non-raw) double-quoted string at `a` as the compiler
    reads it, and its interpolations (expr start, expr end, nested string
    contents). An unclosed string ends at its line's end. `budget[0]` is the
    work left (see `_SCAN_BUDGET`)."""
    interps: list[tuple[int, int, list[tuple[int, int]]]] = []
    if budget[0] <= 0:
        return _DQ.match(text, a).end(), interps
    i = a + 1
    while i < n:
        c = text[i]
        if c == '"':
            return i + 1, interps
        if c == "\n":
            return i, interps
        if c == "\\":
            i += 2
            continue
        if c == "{":
            nxt = text[i + 1] if i + 1 < n else ""
            if nxt == "{":
                i += 2
                continue
            if nxt == "\\" or nxt == "'" or nxt == '"':
                i += 1
                continue
            got, stopped = _interpolation(text, i + 1, min(n, i + 1 + budget[0]))
            budget[0] -= stopped - i
            if got is _ABORT or budget[0] <= 0:  # pathological: read it without interpolations
                budget[0] = 0
                return _DQ.match(text, a).end(), []
            if got is not None:
                end, nested = got
                if text[i + 1:end - 1].strip():
                    interps.append((i + 1, end - 1, nested))
                i = end
                continue
        i += 1
    return n, interps


# `{` twice without a `}` between: braces nested in an interpolation
# (`"{f({k: 1})}"`), which the simple mask cannot keep
_NESTED_OPEN = re.compile(r"\{[^}]*\{")


def _dq_needs_scan(s: str) -> bool:
    """Must this regex-read string be read by `_scan_dq`? When it may end at a
    quote that is really nested in an interpolation (one is still open at its
    end), or may hold a single-quoted string or nested braces in an
    interpolation (`"{f(',')}"`, `"{f({k: 1})}"`: the simple mask would blank
    that call)."""
    return "{" in s and (s.count("{") > s.count("}") or s.rfind("{") > s.rfind("}") or "'" in s
                         or _NESTED_OPEN.search(s) is not None)


def _mask_scanned(text: str, a: int, end: int, interps: list[tuple[int, int, list[tuple[int, int]]]]) -> str:
    """Mask a string read by `_scan_dq`: quotes and interpolated code kept,
    literal text and nested strings' contents blanked."""
    out = [text[a]]
    last = a + 1
    for b, e, nested in interps:
        out.append(_blank(text[last:b]))
        pos = b
        for qb, qe in nested:
            out.append(text[pos:qb])
            out.append(_blank(text[qb:qe]))
            pos = qe
        out.append(text[pos:e])
        last = e
    closed = end > a + 1 and text[end - 1] == '"' and end - 1 >= last
    stop = end - 1 if closed else end
    out.append(_blank(text[last:stop]))
    if closed:
        out.append('"')
    return "".join(out)


class _NeedsSlowPath(Exception):
    pass


def _mask_triple(text: str, a: int, s: str) -> str:
    """Blank a triple-quoted string. `f\"\"\"...\"\"\"` interpolates (the compiler's
    `scan_triple_fstring`): its simple `{expr}` interpolations are kept, so
    calls in them are seen; plain triple-quoted strings do not interpolate."""
    if (s[0] == '"' and "{" in s and a and text[a - 1] == "f"
            and (a < 2 or not _is_word(text[a - 2]))):
        out = [" " * 3]
        last = 3
        for m in _INTERP.finditer(s, 3, max(3, len(s) - 3)):
            if s[m.start() - 1] == "{":  # `{{` is a literal brace
                continue
            out.append(_blank(s[last:m.start() + 1]))
            out.append(m.group(1))
            last = m.end() - 1
        out.append(_blank(s[last:]))
        return "".join(out)
    return _blank(s)


def _keep_breaks(masked: str, s: str) -> str:
    """Put back the line breaks of a string continued by a backslash + newline."""
    return "".join("\n" if ch == "\n" else o for o, ch in zip(masked, s))


def _quoted(s: str, n: int) -> str:
    c = s[0]
    if n >= 2 and s[-1] == c:
        return c + " " * (n - 2) + c
    return c + " " * (n - 1)


def mask(text: str) -> tuple[str, list[Comment]]:
    """Return (masked text, comments in order). Never raises."""
    comments: list[Comment] = []
    add = comments.append
    budget = [2 * len(text) + _SCAN_BUDGET]

    def repl(m: re.Match[str]) -> str:
        kind = m.lastgroup
        s = m.group()
        n = len(s)
        if kind == "dq" or kind == "sq":
            a = m.start()
            if a and text[a - 1] == "r" and (a < 2 or not _is_word(text[a - 2])):
                if kind == "dq" and ("\\" in s or text.startswith("\\", m.end())):
                    raise _NeedsSlowPath  # a raw string has no escapes: its extent differs
                return _quoted(s, n)
            if "{" not in s:
                out = _quoted(s, n)
            elif kind == "dq" and _dq_needs_scan(s):
                exact, interps = _scan_dq(text, m.start(), len(text), budget)
                if exact != m.end():
                    raise _NeedsSlowPath  # a nested string inside an interpolation: extent differs
                out = _mask_scanned(text, m.start(), exact, interps)
            else:
                out = _mask_string(s, 1)
            return _keep_breaks(out, s) if "\n" in s else out
        if kind == "lc" or kind == "dl":
            a = m.start()
            add(Comment(a, a + n, s))
            return " " * n
        if kind == "bc" or kind == "db":
            a = m.start()
            add(Comment(a, a + n, s))
            return _blank(s)
        if kind == "tq" or kind == "tq2":
            return _mask_triple(text, m.start(), s)
        raise _NeedsSlowPath

    try:
        masked = _TOKENS.sub(repl, text)
    except _NeedsSlowPath:
        masked, comments, _ = mask_range(text, 0, len(text))
    if masked and masked[0] == "\ufeff":
        masked = " " + masked[1:]
    return masked, comments


def mask_slow(text: str) -> tuple[str, list[Comment]]:
    """The reference masking (one token at a time); tests compare `mask` with it."""
    masked, comments, _ = mask_range(text, 0, len(text))
    if masked and masked[0] == "\ufeff":
        masked = " " + masked[1:]
    return masked, comments


def mask_range(text: str, begin: int, stop: int) -> tuple[str, list[Comment], bool]:
    """Mask text[begin:stop], starting in a clean lexical state at `begin`.

    Returns (masked slice, comments, overrun): `overrun` is True when a string
    or comment that starts before `stop` runs past it (the slice then ends
    where that item ends, so the caller must widen the range)."""
    pieces: list[str] = []
    comments: list[Comment] = []
    append = pieces.append
    pos = begin
    n = len(text)
    search = _LEX.search
    find = text.find
    budget = [2 * (stop - begin) + _SCAN_BUDGET]
    while True:
        m = search(text, pos, stop)
        if m is None:
            break
        start = m.start()
        c = text[start]
        if c == "#":
            if text.startswith("#[", start):  # attribute, not a comment
                append(text[pos:start + 2])
                pos = start + 2
                continue
            if pos > stop:
                break
            end = find("\n", start)
            if end < 0:
                end = n
            append(text[pos:start])
            append(" " * (end - start))
            comments.append(Comment(start, end, text[start:end]))
        elif c == "/" and text.startswith("///", start):  # `///` doc line or block
            if pos > stop:
                break
            block = _DOC_BLOCK.match(text, start)
            if block is not None:
                end = block.end()
            else:
                end = find("\n", start)
                if end < 0:
                    end = n
            append(text[pos:start])
            append(_blank(text[start:end]))
            comments.append(Comment(start, end, text[start:end]))
        elif c == "/":
            depth = 1
            scan = start + 2
            end = n
            while True:
                e = _BLOCK_EDGE.search(text, scan)
                if e is None:
                    break
                if e.group() == "/*":
                    depth += 1
                else:
                    depth -= 1
                    if depth == 0:
                        end = e.end()
                        break
                scan = e.end()
            append(text[pos:start])
            append(_blank(text[start:end]))
            comments.append(Comment(start, end, text[start:end]))
        else:
            if c == "'" and _LABEL.match(text, start):
                append(text[pos:start + 1])
                pos = start + 1
                continue
            raw = start > 0 and text[start - 1] == "r" and (start < 2 or not _is_word(text[start - 2]))
            if text.startswith(c * 3, start):
                close = find(c * 3, start + 3)
                end = n if close < 0 else close + 3
                append(text[pos:start])
                append(_mask_triple(text, start, text[start:end]))
            else:
                if raw and c == '"':
                    end = _RAW.match(text, start).end()
                else:
                    end = (_DQ if c == '"' else _SQ).match(text, start).end()
                    if c == '"' and _dq_needs_scan(text[start:end]):
                        exact, interps = _scan_dq(text, start, n, budget)
                        append(text[pos:start])
                        append(_mask_scanned(text, start, exact, interps))
                        pos = exact
                        continue
                append(text[pos:start])
                s = text[start:end]
                if "{" not in s or raw:
                    if end - start >= 2 and s[-1] == c:
                        out = c + " " * (end - start - 2) + c
                    else:
                        out = c + " " * (end - start - 1)
                else:
                    out = _mask_string(s, 1)
                append(_keep_breaks(out, s) if "\n" in s else out)
        pos = end
    overrun = pos > stop
    if not overrun:
        append(text[pos:stop])
    return "".join(pieces), comments, overrun
def comment_body(raw: str) -> str:
    """Comment text without its markers (`##`, `#`, `/** */`, ` * `)."""
    if raw.startswith("#"):
        return raw.lstrip("#").strip()
    if raw.startswith("///"):
        if "\n" in raw:  # a `///` block: the lines between its markers
            body = raw.split("\n", 1)[1]
            if body.rstrip().endswith("///"):
                body = body.rstrip()[:-3]
            return body.strip()
        return raw.lstrip("/").strip()
    body = raw[2:-2] if raw.endswith("*/") else raw[2:]
    lines = []
    for line in body.split("\n"):
        line = line.strip()
        if line.startswith("*"):
            line = line[1:].strip()
        lines.append(line)
    body = "\n".join(lines).strip("*").strip()
    return body
