"""Splitting a file into top-level chunks (see `scanner`): a chunk starts at a column-0
line outside any bracket, together with the comment (doc) and attribute lines stuck to
it, and runs to the next chunk. `@when`/`@else`/`@end` directive lines are told apart
from attributes here."""

from __future__ import annotations

import re

from sffi_lsp.syntax.positions import LineIndex
from sffi_lsp.syntax.source import Chunk, Source, _RESET, _matching


_COL0 = re.compile(r"^[^ \t\r\n\f]", re.M)
_DIRECTIVE = re.compile(r"@(when|elif|elsewhen|else|end)\b")
_COL0_NL = re.compile(r"\n(?=[^ \t\r\n\f])")


# ------------------------------------------------------------- chunking ---

def _is_directive_line(masked: str, pos: int, line_end: int) -> tuple[str, str | None] | None:
    m = _DIRECTIVE.match(masked, pos)
    if m is None:
        return None
    kind = m.group(1)
    rest_start = m.end()
    cond = None
    if masked.startswith("(", rest_start):
        close = _matching(masked, rest_start, line_end)
        if close < 0:
            return None
        cond = (rest_start, close)
        rest_start = close + 1
    tail = masked[rest_start:line_end].strip()
    if kind == "end":
        return ("end", None) if tail in ("", ":") and cond is None else None
    # The compiler's preprocessor (cond_compile) takes any line that is, once
    # trimmed, `@when(..)`/`@elif(..)` (colon or not) or `@else`/`@else:`
    if tail != ":" and tail != "":
        return None  # `@when(...)` directly on a declaration: an attribute
    if kind == "else" and cond is None:
        return ("else", None)
    if cond is None:
        return None
    return (kind if kind != "elsewhen" else "elif", f"{cond[0]},{cond[1]}")


def _doc_line(src: Source, line: int) -> bool:
    """A comment-only line whose comment starts at column 0 (can carry a doc)."""
    starts = src.index.starts
    ls = starts[line]
    le = starts[line + 1] - 1 if line + 1 < len(starts) else len(src.text)
    if ls == le or src.masked[ls:le].strip():  # (an empty line: the usual case)
        return False
    c = src.comment_at(ls)
    if c is None:
        # a line starting with a comment: look just after leading whitespace
        raw = src.text[ls:le]
        if not raw.strip():
            return False
        c = src.comment_at(ls + len(raw) - len(raw.lstrip()))
        if c is None:
            return False
    return c.start == 0 or src.text[c.start - 1] == "\n"


def split_chunks(src: Source, lo: int = 0, hi: int | None = None) -> list[Chunk]:
    """Top-level chunks of [lo, hi) (lo must be a chunk start, hi a chunk start or the end)."""
    return split_chunks_until(src, lo, hi)[0]


def split_chunks_until(src: Source, lo: int = 0, hi: int | None = None, known: set[int] | None = None,
                       stop_from: int = 0) -> tuple[list[Chunk], int | None]:
    """`split_chunks`, stopping early at the first boundary `b >= stop_from` that
    is in `known` (the editor's previous boundaries, moved by the edit).

    Returns (chunks before the stop, the stop offset or None). Sound because a
    boundary resets all splitting state (outside brackets, no pending
    attribute line, lookback limited to it): from the same boundary over the
    same text, the old split goes on exactly as a new one would."""
    masked = src.masked
    index = src.index
    starts = index.starts
    hi = len(src.text) if hi is None else hi
    boundaries: list[int] = [lo]
    brk = src.brackets()
    depth = 0
    prev = lo
    sticky_line: int | None = None  # first line of attribute lines waiting for their decl
    # `lo` is a boundary, but the declaration that put it there is read again
    # below: let it pull doc lines back down to `lo` (at line 0 too), which
    # re-creates `lo` (a duplicate, dropped) instead of a boundary after it.
    last_boundary_line = index.line_of(lo) - 1
    col0 = [m.end() for m in _COL0_NL.finditer(masked, max(lo - 1, 0), hi) if m.end() < hi]
    if lo < hi and (lo == 0 or masked[lo - 1] == "\n") and _COL0.match(masked, lo, hi):
        if not col0 or col0[0] != lo:
            col0.insert(0, lo)
    for pos in col0:
        if pos < lo:
            continue
        depth += brk.count("(", prev, pos) - brk.count(")", prev, pos)
        prev = pos
        if depth < 0 or (depth > 0 and _RESET.match(masked, pos)):
            depth = 0
        if depth != 0:
            continue
        line = index.line_of(pos)
        c = masked[pos]
        if c == "@" or masked.startswith("#[", pos):
            le = masked.find("\n", pos)
            le = len(masked) if le < 0 else le
            if c == "@" and _is_directive_line(masked, pos, le) is not None:
                first = line
            else:
                if sticky_line is None:
                    sticky_line = line
                continue
        else:
            first = line
        if sticky_line is not None:
            first = sticky_line
            sticky_line = None
        while first - 1 > last_boundary_line and _doc_line(src, first - 1):
            first -= 1
        if first > last_boundary_line:
            b = starts[first]
            boundaries.append(b)
            last_boundary_line = first
            if known is not None and b >= stop_from and b in known:
                return _chunks_of(index, boundaries, lo, b), b
    if sticky_line is not None and sticky_line > last_boundary_line:
        boundaries.append(starts[sticky_line])
    boundaries.append(hi)
    return _chunks_of(index, boundaries, lo, hi), None


def _chunks_of(index: LineIndex, boundaries: list[int], lo: int, hi: int) -> list[Chunk]:
    chunks = []
    for i in range(len(boundaries) - 1):
        s, e = boundaries[i], boundaries[i + 1]
        if e > s or (s == lo and e == hi):
            chunks.append(Chunk(s, e, index.line_of(s)))
    return chunks
