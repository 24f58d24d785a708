"""A file ready for scanning, and what scanning a chunk yields; bracket and block helpers.

`Source` holds one file's text and what is derived from it once (masked text, line
index, comments); `Chunk` is a top-level chunk, `ChunkResult` what reading chunks found.
The helpers find where a bracket, a block or a declaration ends on the masked text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from sffi_lsp.model import (
    CallSite,
    ExternBlock,
    ExternDecl,
    FunctionDecl,
    Span,
    Suppression,
    SyntaxProblem,
    UseItem,
)
from sffi_lsp.syntax.lexer import Comment, mask
from sffi_lsp.syntax.positions import Anchor, LineIndex


MAX_PROBLEMS = 100  # per file: bad input must not flood a client
_DECL_MAX = 20_000  # longest extern declaration text we try to read

_N = r"[A-Za-z_][A-Za-z0-9_]*"
# A column-0 line starting like this begins a new declaration even when an
# earlier bracket was never closed (error recovery while the user types `f(`).
_RESET = re.compile(r"(?:pub(?:\([^()\n]*\))?[ \t]+|export[ \t]+)?(?:extern|fn|class|struct|enum|trait|impl|use|mod|@when|@else|@end)\b")
_STRUCTURE = re.compile(r"[()\[\]{}\n:]")
_STMT_START = re.compile(r"[ \t]*(?:fn|me|extern|val|var|class|struct|enum|impl|use|@|pub|static)\b")


@dataclass(slots=True)
class Source:
    """One file's text and everything derived from it once."""

    path: str
    text: str
    masked: str
    comments: list[Comment]
    index: LineIndex
    comment_starts: list[int] = field(default_factory=list)
    _rev: str | None = None
    _brk: str | None = None

    def brackets(self) -> str:
        """The masked text with every opening bracket as `(` and closing one as
        `)`: a bracket balance is then two `count`s instead of six."""
        if self._brk is None:
            self._brk = self.masked.translate(_ONE_BRACKET)
        return self._brk

    def reversed_masked(self) -> str:
        if self._rev is None:
            self._rev = self.masked[::-1]
        return self._rev

    @classmethod
    def of(cls, text: str, path: str = "") -> "Source":
        masked, comments = mask(text)
        src = cls(path, text, masked, comments, LineIndex(text))
        src.comment_starts = [c.start for c in comments]
        return src

    def line_text(self, line: int, masked: bool = True) -> str:
        starts = self.index.starts
        s = starts[line]
        e = starts[line + 1] - 1 if line + 1 < len(starts) else len(self.text)
        return (self.masked if masked else self.text)[s:e]

    def comment_at(self, offset: int) -> Comment | None:
        """The comment containing `offset`, if any."""
        i = bisect_right(self.comment_starts, offset) - 1
        if i >= 0:
            c = self.comments[i]
            if c.start <= offset < c.end:
                return c
        return None


@dataclass(slots=True)
class Chunk:
    start: int
    end: int
    line: int


@dataclass(slots=True)
class ChunkResult:
    """What one chunk declares and calls; positions absolute at (start, line)."""

    start: int
    line: int
    externs: list[ExternDecl] = field(default_factory=list)
    extern_blocks: list[ExternBlock] = field(default_factory=list)
    extern_types: list[Span] = field(default_factory=list)
    calls: list[CallSite] = field(default_factory=list)
    functions: list[FunctionDecl] = field(default_factory=list)
    uses: list[UseItem] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    problems: list[SyntaxProblem] = field(default_factory=list)
    # column-0 `@when(cond):` / `@elif(cond):` / `@else:` / `@end`: (offset, kind, cond)
    directives: list[tuple[int, str, str | None]] = field(default_factory=list)
    # places the lazy calls and functions (positions.Anchor); set by the scan
    anchor: Anchor | None = None


# ---------------------------------------------------------------- helpers ---

_ONE_BRACKET = str.maketrans({"[": "(", "{": "(", "]": ")", "}": ")"})


def _balance(s: str, a: int, b: int) -> int:
    return (s.count("(", a, b) + s.count("[", a, b) + s.count("{", a, b)
            - s.count(")", a, b) - s.count("]", a, b) - s.count("}", a, b))


def _matching(masked: str, open_pos: int, limit: int) -> int:
    """Index of the bracket closing the one at `open_pos`, or -1."""
    depth = 0
    for m in _STRUCTURE.finditer(masked, open_pos, limit):
        c = m.group()
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return m.start()
    return -1


_INDENT_RES: dict[int, re.Pattern[str]] = {}


def _block_end(src: Source, header_start: int, indent: int, limit: int) -> int:
    """End of the block owned by a header at `indent` (first later line at <= indent,
    outside brackets), capped at `limit`."""
    pat = _INDENT_RES.get(indent)
    if pat is None:
        pat = _INDENT_RES[indent] = re.compile(r"\n[ \t]{0,%d}(?=[^ \t\r\n\f])" % indent)
    masked = src.masked
    brk = src.brackets()
    depth = 0
    prev = header_start
    pos = masked.find("\n", header_start, limit)
    while pos >= 0:
        m = pat.search(masked, pos, limit)
        if m is None:
            return limit
        cand = m.start() + 1
        depth += brk.count("(", prev, cand) - brk.count(")", prev, cand)
        prev = cand
        if depth <= 0 or (masked[cand] not in " \t" and _RESET.match(masked, cand)):
            return cand
        pos = cand
    return limit


def _decl_end(masked: str, start: int, indent: int, limit: int, stop_at_colon: bool) -> tuple[int, bool]:
    """End of a declaration starting at `start`: the first line break outside brackets
    (or a stub-body `:`). Returns (end, balanced)."""
    depth = 0
    seen_paren = False
    limit = min(limit, start + _DECL_MAX)
    for m in _STRUCTURE.finditer(masked, start, limit):
        c = m.group()
        p = m.start()
        if c == "\n":
            if depth <= 0:
                if masked[p - 1:p] == "\\" or masked[p - 2:p] == "\\\r":
                    continue  # `\` line continuation (the lexer joins the lines)
                return p, depth == 0
            nxt = _STMT_START.match(masked, p + 1)
            if nxt is not None:
                line_indent = len(masked[p + 1:nxt.end()]) - len(masked[p + 1:nxt.end()].lstrip(" \t"))
                if line_indent <= indent:
                    return p, False
        elif c == ":":
            if (stop_at_colon and depth == 0 and seen_paren
                    and masked[p - 1:p] != ":" and masked[p + 1:p + 2] != ":"):
                return p, True
        elif c in "([{":
            depth += 1
            seen_paren = seen_paren or c == "("
        else:
            depth -= 1
            if depth < 0:
                return p, False
    return limit, depth == 0
