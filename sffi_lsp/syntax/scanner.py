"""Read one file: chunks, declarations, calls, uses, suppressions.

The file is masked once (`lexer.mask`), then split into *top-level chunks*: a
chunk starts at a column-0 line outside any bracket, together with the
comment (doc) and attribute lines stuck to it, and runs to the next chunk.
Each chunk is read on its own (`scan_chunk`), with absolute positions, so an
editor can re-read only the chunks whose text changed (see incremental.py).

Inside a chunk, indentation gives the block structure: every `fn`/`me` and
type header owns the following lines indented deeper (bracket-balanced), which
is how calls get their enclosing function without parsing statements.
Extern declarations are located here and their text handed to `decl.py`.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, replace
from typing import Callable

from sffi_lsp.model import (
    Attribute,
    CallSite,
    ExternBlock,
    ExternDecl,
    FunctionDecl,
    Param,
    Span,
    Suppression,
    SyntaxProblem,
    TypeRef,
    UseItem,
)
from sffi_lsp.syntax.decl import DeclError, Signature, TypeSig, parse_signature
from sffi_lsp.syntax.lexer import Comment, comment_body, mask
from sffi_lsp.syntax.positions import (
    _L_NEW,
    _L_SET,
    Anchor,
    LazyCallSite,
    LineIndex,
    lazy_function,
    fast_constructor,
    make_span,
)

_new_type_ref = fast_constructor(TypeRef)
_new_param = fast_constructor(Param)
_new_extern = fast_constructor(ExternDecl)

MAX_PROBLEMS = 100  # per file: bad input must not flood a client
_DECL_MAX = 20_000  # longest extern declaration text we try to read

_N = r"[A-Za-z_][A-Za-z0-9_]*"
_COL0 = re.compile(r"^[^ \t\r\n\f]", re.M)
_DIRECTIVE = re.compile(r"@(when|elif|elsewhen|else|end)\b")
_EXTERN = re.compile(
    # (same-line attributes may nest parentheses two deep: `@cfg(all(a, not(b))) extern fn`)
    r"([ \t]*)((?:@[\w.]+(?:\((?:[^()\n]|\((?:[^()\n]|\([^()\n]*\))*\))*\))?[ \t]+)*)((?:(?:pub(?:\([^()\n]*\))?|export)[ \t]+)?)extern\b[ \t]*"
)
_EXTERN_WORD = re.compile(r"extern\b")
_ASYNC_FN = re.compile(r"async[ \t]+fn(?![A-Za-z0-9_])")  # `extern async fn` (the compiler skips `async`)
# A column-0 line starting like this begins a new declaration even when an
# earlier bracket was never closed (error recovery while the user types `f(`).
_RESET = re.compile(r"(?:pub(?:\([^()\n]*\))?[ \t]+|export[ \t]+)?(?:extern|fn|class|struct|enum|trait|impl|use|mod|@when|@else|@end)\b")
_DIRECTIVE_FIND = re.compile(r"@(?:when|elif|elsewhen|else|end)\b")
_HEAD = re.compile(
    rf"^([ \t]*)((?:(?:pub(?:\([^()\n]*\))?|static|async|override|export|inline|unsafe|private|public|sync|kernel)[ \t]+)*)"
    rf"(?:(?:fn|me(?:[ \t]+fn)?)[ \t]+({_N})"
    rf"|(?:class|struct|enum|trait|impl|actor|union|extend|interface|mixin)[ \t]+({_N}(?:\.{_N})*)(?:<[^\n:]*?>)?(?:[ \t]+for[ \t]+({_N}(?:\.{_N})*))?"
    rf"|(use|mod|import)[ \t]+"
    rf"|(?<=export )(?!use\b)(?=[A-Za-z_*{{]))",
    re.M,
)
_MEMBER = re.compile(
    rf"^([ \t]+)(?:pub(?:\([^()\n]*\))?[ \t]+)?(?:static[ \t]+)?(?:fn|me(?:[ \t]+fn)?)[ \t]+({_N})",
    re.M,
)
# no look-behind: `re` then skips non-identifier characters at C speed; `@name(`
# is rejected in Python. A match cannot start mid-word (the leftmost start wins).
_CALL = re.compile(rf"({_N})[ \t]*\(")
# The same calls found in the *reversed* masked text: the pattern then starts
# with the literal `(`, which `re` finds at C speed, instead of trying a match
# at every identifier character. `[A-Za-z0-9_]*[A-Za-z_]` backtracks to the
# longest name starting with a letter, exactly what `_CALL` matches leftmost.
_CALL_REV = re.compile(r"\([ \t]*([A-Za-z0-9_]*[A-Za-z_])")
# candidate header lines (first word could start a `_HEAD` match); `_HEAD` is
# then matched only there instead of at every position of the file
# (first letters checked as a set, then the words as a trie: measured 1.8x
# faster than a flat alternation; it must accept every first word of `_HEAD`)
_HEAD_LINE = re.compile(
    r"\n[ \t]*(?=[psaoeiukfmct])(?=p(?:ub|rivate|ublic)|s(?:tatic|ync|truct)|a(?:sync|ctor)|override"
    r"|e(?:xport|num|xtend)|i(?:nline|mpl|nterface|mport)|u(?:nsafe|nion|se)|kernel|fn|m(?:e|ixin|od)"
    r"|class|trait)"
)
_COL0_NL = re.compile(r"\n(?=[^ \t\r\n\f])")
_STRUCTURE = re.compile(r"[()\[\]{}\n:]")
_STMT_START = re.compile(r"[ \t]*(?:fn|me|extern|val|var|class|struct|enum|impl|use|@|pub|static)\b")
_SUPPRESS = re.compile(r"sffi:[ \t]*ignore(-file)?\b(?:[ \t]*\[([^\]\n]*)\])?")
_ATTR = re.compile(r"@([A-Za-z_][\w.]*)|#\[")
_NOT_CALLS = frozenset(
    "if elif while for match case return and or not in is fn me assert yield await unsafe "
    "with loop else val var print_raw catch try when elsewhen extern class struct enum trait "
    "impl use mod import export pub static type const lambda then do spawn go defer".split()
)
_NOT_CALLS = _NOT_CALLS - {"print_raw"}


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


# --------------------------------------------------------- chunk reading ---

def _type_ref(sig: TypeSig, base: int, span: Callable[[int, int], Span]) -> TypeRef:
    args = sig.args
    return _new_type_ref(
        sig.kind, sig.text, sig.name,
        tuple([_type_ref(a, base, span) for a in args]) if args else (),
        _type_ref(sig.returns, base, span) if sig.returns is not None else None,
        sig.mutable, span(base + sig.start, base + sig.end),
    )


def _decl_spans(src: Source, start: int, end: int) -> Callable[[int, int], Span]:
    """Span maker for positions inside one declaration: most declarations sit on
    one line, whose start is then looked up once instead of once per span."""
    if src.masked.find("\n", start, end) >= 0:
        return src.index.span
    starts = src.index.starts
    sl = bisect_right(starts, start) - 1
    ls = starts[sl]

    def span(a: int, b: int) -> Span:
        return make_span(a, b, sl, a - ls, sl, b - ls)

    return span


def _leading(src: Source, decl_line: int, floor_line: int) -> tuple[tuple[Attribute, ...], str | None]:
    """Attributes on the lines just above a declaration, then the doc comment above them."""
    masked = src.masked
    starts = src.index.starts
    line = decl_line - 1
    top = decl_line
    debt = 0
    while line >= floor_line:
        raw = src.line_text(line, masked=False)
        if not raw.strip():
            break
        s = src.line_text(line, masked=True).strip()
        if not s:
            if debt > 0:
                line -= 1
                continue
            break
        if s.startswith("@") and debt <= 0:
            ls = starts[line]
            if _is_directive_line(masked, ls + src.line_text(line).index("@"), ls + len(raw)) is not None:
                break
        if debt <= 0 and (s.startswith("@") or s.startswith("#[")) and not _attr_only(s):
            break  # e.g. `@inline extern fn other()`: a declaration, not our attribute
        # (a multi-line attribute's last line may end its arguments after
        # text, `    preferred: c)`, not only start with the closing bracket)
        if debt > 0 or s.startswith("@") or s.startswith("#[") or s[0] in ")]}" or _balance(s, 0, len(s)) < 0:
            debt -= _balance(s, 0, len(s))
            if debt <= 0 and (s.startswith("@") or s.startswith("#[")):
                debt = 0
                top = line
            elif debt <= 0:
                break
            line -= 1
            continue
        break
    attrs: list[Attribute] = []
    if top < decl_line:
        region_end = starts[decl_line]
        pos = starts[top]
        while True:
            m = _ATTR.search(masked, pos, region_end)
            if m is None:
                break
            if m.group(1) is None:  # #[name(args)]
                close = _matching(masked, m.end() - 1, region_end)
                end = close + 1 if close >= 0 else region_end
                inner = src.text[m.end():end - 1].strip()
                nm = re.match(r"[\w.:]+", inner)
                name = nm.group() if nm else inner
                args = None
                if nm and inner[nm.end():].lstrip().startswith("("):
                    a = inner[nm.end():].lstrip()
                    args = a[1:a.rfind(")")] if ")" in a else a[1:]
                attrs.append(Attribute(name, args, src.index.span(m.start(), end)))
            else:
                end = m.end()
                args = None
                if masked.startswith("(", end):
                    close = _matching(masked, end, region_end)
                    if close >= 0:
                        args = src.text[end + 1:close]
                        end = close + 1
                attrs.append(Attribute(m.group(1), args, src.index.span(m.start(), end)))
            pos = end
    # doc: contiguous comment-only lines right above the attributes
    doc_lines: list[str] = []
    line = top - 1
    seen: set[int] = set()
    while line >= floor_line:
        raw = src.line_text(line, masked=False)
        if not raw.strip() or src.line_text(line).strip():
            break
        ls = starts[line]
        c = src.comment_at(ls + len(raw) - len(raw.lstrip()))
        if c is None:
            c = src.comment_at(ls)
        if c is None:
            break
        if c.start not in seen:
            seen.add(c.start)
            doc_lines.append(comment_body(c.text))
        line -= 1
    doc = "\n".join(reversed(doc_lines)) if doc_lines else None
    return tuple(attrs), doc


# A spec block header (`it "reads":`, `describe "x":`, `before_each:`) opens a
# block that is a lambda to the compiler: an extern declared in it is local to
# that block, not to the function around it (two `it` blocks may each declare it).
_BLOCK_CALL = re.compile(r'[ \t]*(?:(?!(?:case|if|elif|while|for|match|return|with)\b)[A-Za-z_]\w*[ \t]+"[^"\n]*"|(?:before|after)_(?:each|all))[ \t]*:[ \t]*')


def _in_block_call(masked: str, at: int, floor: int) -> bool:
    """True when the nearest less-indented code line above `at` (not before
    `floor`) is a spec block header; directive/attribute and blank lines are skipped."""
    ls = masked.rfind("\n", 0, at) + 1
    line = masked[ls:at]
    indent = len(line) - len(line.lstrip(" \t"))
    end = ls - 1
    while end > floor:
        ps = masked.rfind("\n", 0, end) + 1
        text = masked[ps:end]
        end = ps - 1
        body = text.lstrip(" \t")
        if not body.strip() or body.startswith("@"):
            continue
        if len(text) - len(body) < indent:
            return _BLOCK_CALL.fullmatch(text.rstrip("\r")) is not None
    return False


_PAREN_GROUP = re.compile(r"\([^()]*\)")
_ATTRS_ONLY = re.compile(r"(?:[ \t]*(?:@[\w.]+|#\[[^\]]*\]?))*[ \t]*(?:\(.*)?")


def _attr_only(line: str) -> bool:
    """True when a (masked) line holds attributes only, possibly opening a multi-line one."""
    for _ in range(4):
        reduced = _PAREN_GROUP.sub("", line)
        if reduced == line:
            break
        line = reduced
    return _ATTRS_ONLY.fullmatch(line) is not None


def _trailing_comment(src: Source, end: int) -> str | None:
    le = src.masked.find("\n", end)
    le = len(src.masked) if le < 0 else le
    i = bisect_left(src.comment_starts, end)
    if i < len(src.comments) and src.comments[i].start < le:
        return comment_body(src.comments[i].text)
    return None


def _read_signature(src: Source, res: ChunkResult, start: int, indent: int, limit: int,
                    what: str) -> tuple[Signature, int] | None:
    """Parse the declaration at `start`; on failure record one problem and return None."""
    end, balanced = _decl_end(src.masked, start, indent, limit, stop_at_colon=True)
    text = src.masked[start:end].rstrip()
    end = start + len(text)
    try:
        if not balanced:
            raise DeclError("unbalanced brackets", len(text), len(text))
        sig = parse_signature(text)
    except DeclError as exc:
        if len(res.problems) < MAX_PROBLEMS:
            res.problems.append(SyntaxProblem(
                f"malformed {what}: {exc.message}", src.index.span(start, max(end, start + 1)),
            ))
        return None
    return sig, end


def _extern_decl(src: Source, sig: Signature, start: int, end: int, attrs: tuple[Attribute, ...],
                 doc: str | None, is_pub: bool, block: str | None) -> ExternDecl:
    span = _decl_spans(src, start, max(end, start + sig.end))
    params = tuple([
        _new_param(p.name, _type_ref(p.type, start, span) if p.type is not None else None,
                   span(start + p.start, start + p.end),
                   span(start + p.name_start, start + p.name_end), p.default_text)
        for p in sig.params
    ])
    when = None
    for a in attrs:
        if a.name == "when" and a.args_text is not None:
            when = a.args_text.strip()
    return _new_extern(
        name=sig.name,
        name_span=span(start + sig.name_start, start + sig.name_end),
        span=span(start, start + sig.end),
        params=params,
        returns=_type_ref(sig.returns, start, span) if sig.returns is not None else None,
        generics=sig.generics,
        is_pub=is_pub or sig.is_pub,
        attributes=attrs,
        doc=doc,
        when=when,
        block=block,
        trailing_comment=_trailing_comment(src, end),
        path=src.path,
    )


def _arg_count(masked: str, open_pos: int, limit: int) -> tuple[int | None, int]:
    """(argument count, index of the closing paren or -1)."""
    close = masked.find(")", open_pos + 1, limit)
    if close < 0:
        return None, -1
    seg = masked[open_pos + 1:close]
    if "(" in seg or "[" in seg or "{" in seg:
        close = _matching(masked, open_pos, limit)
        if close < 0:
            return None, -1
        seg = masked[open_pos + 1:close]
        commas = 0
        depth = 0
        for m in _BRACKET_COMMA.finditer(seg):
            c = m.group()
            if c == ",":
                if depth == 0:
                    commas += 1
            elif c in "([{":
                depth += 1
            else:
                depth -= 1
    else:
        commas = seg.count(",")
    if "\\" in seg:
        # a lambda `\a, b: a + b` is the last argument: its commas are not separators
        lam = seg.index("\\")
        head = masked[open_pos:open_pos + 1 + lam] + ")"  # the arguments before the lambda
        return _arg_count(head, 0, len(head))[0] + 1 if seg[:lam].strip() else 1, close
    st = seg.strip()
    if not st:
        return 0, close
    if "..." in seg or st[0] == "*":
        return None, close
    return commas + 1 - (1 if st[-1] == "," else 0), close


_BRACKET_COMMA = re.compile(r"[()\[\]{},]")


def scan_chunk(src: Source, chunk: Chunk) -> ChunkResult:
    """Everything one chunk declares and calls."""
    return scan_region(src, chunk.start, chunk.end, chunk.line)


def scan_region(src: Source, cs: int, ce: int, first_line: int) -> ChunkResult:
    """Everything the text in [cs, ce) declares and calls (cs at a line start)."""
    res = ChunkResult(cs, first_line)
    _scan(src, res, [cs], [ce], [first_line])
    return res


def scan_chunks(src: Source, chunks: list[Chunk], focus: frozenset[str] | None = None) -> ChunkResult:
    """Everything `chunks` (consecutive) declare and call, in one result.

    The same as joining `scan_chunk` of each: every search is bounded by the
    end of the chunk it starts in, but the regex passes run once over the
    whole range instead of once per chunk. With `focus`, only calls and
    functions with those names are kept (see `parse_source`)."""
    if not chunks:
        return ChunkResult(0, 0)
    res = ChunkResult(chunks[0].start, chunks[0].line)
    _scan(src, res, [c.start for c in chunks], [c.end for c in chunks], [c.line for c in chunks], focus)
    return res


def _scan(src: Source, res: ChunkResult, cstarts: list[int], cends: list[int], clines: list[int],
          focus: frozenset[str] | None = None) -> None:
    masked = src.masked
    index = src.index
    cs, ce = cstarts[0], cends[-1]
    single = len(cstarts) == 1
    anchor = res.anchor = Anchor(index.starts, cs)

    def chunk_of(pos: int) -> int:
        return 0 if single else bisect_right(cstarts, pos) - 1

    # @when/@elif/@else/@end lines, at column 0 or indented (the compiler's
    # preprocessor reads trimmed lines, so a function body can hold them too)
    if masked.find("@", cs, ce) >= 0:
        for m in _DIRECTIVE_FIND.finditer(masked, cs, ce):
            p = m.start()
            if p and masked[p - 1] != "\n" and masked[masked.rfind("\n", 0, p) + 1:p].strip(" \t"):
                continue
            le = masked.find("\n", p, ce)
            le = ce if le < 0 else le
            d = _is_directive_line(masked, p, le)
            if d is not None:
                kind, cond = d
                if cond is not None:
                    a, b = map(int, cond.split(","))
                    cond = " ".join(src.text[a + 1:b].split())
                res.directives.append((p, kind, cond))

    skip_ranges: list[tuple[int, int]] = []  # extern text: no calls, no fns in there
    block_ranges: list[tuple[int, int]] = []

    # ---- externs: find the word, then check it starts a line
    for w in (_EXTERN_WORD.finditer(masked, cs, ce) if masked.find("extern", cs, ce) >= 0 else ()):
        ci = chunk_of(w.start())
        ccs, cce = cstarts[ci], cends[ci]
        ls = masked.rfind("\n", ccs, w.start()) + 1
        if ls < ccs:
            ls = ccs
        m = _EXTERN.match(masked, ls, cce)
        if m is None or m.end(3) != w.start():
            continue
        indent = len(m.group(1))
        after = m.end()
        decl_start = m.start(3)  # `pub`/`export` or `extern` itself
        is_pub = m.group(3).startswith("pub")
        line = index.line_of(decl_start)
        floor = clines[ci]
        nxt = masked[after:after + 6]
        if (nxt.startswith("fn") and not masked[after + 2:after + 3].isalnum() and masked[after + 2:after + 3] != "_"
                or nxt.startswith("async") and _ASYNC_FN.match(masked, after, cce)):
            got = _read_signature(src, res, decl_start, indent, cce, "extern declaration")
            if got is None:
                e, _ = _decl_end(masked, decl_start, indent, cce, True)
                skip_ranges.append((decl_start, e))
                continue
            sig, end = got
            skip_ranges.append((decl_start, end))
            attrs, doc = _leading(src, line, floor)
            if m.group(2):
                inline = _inline_attrs(src, m.start(2), m.start(2) + len(m.group(2)))
                attrs = attrs + inline
            res.externs.append(_extern_decl(src, sig, decl_start, end, attrs, doc, is_pub, None))
        elif nxt.startswith("struct") and not (masked[after + 6:after + 7].isalnum() or masked[after + 6:after + 7] == "_"):
            # `extern struct Name:` is a plain struct to the compiler: no externs, no problem
            le = masked.find("\n", after, cce)
            le = cce if le < 0 else le
            skip_ranges.append((decl_start, decl_start + len(masked[decl_start:le].rstrip())))
        elif nxt.startswith("class") or masked.startswith('"', after):
            _extern_block(src, res, m, decl_start, indent, after, cce, skip_ranges, block_ranges)
        elif nxt.startswith("type") and not (masked[after + 4:after + 5].isalnum() or masked[after + 4:after + 5] == "_"):
            le = masked.find("\n", after, cce)
            le = cce if le < 0 else le
            text = masked[decl_start:le].rstrip()
            res.extern_types.append(index.span(decl_start, decl_start + len(text)))
            skip_ranges.append((decl_start, decl_start + len(text)))
        elif after < cce and (masked[after].isalpha() or masked[after] == "_"):
            le = masked.find("\n", after, cce)
            le = cce if le < 0 else le
            text = masked[decl_start:le].rstrip()
            if len(res.problems) < MAX_PROBLEMS:
                word = re.match(r"\w+", masked[after:le])
                res.problems.append(SyntaxProblem(
                    f"malformed extern declaration: expected `fn`, `class` or a string after "
                    f"`extern`, found `{word.group() if word else masked[after]}`",
                    index.span(decl_start, decl_start + len(text)),
                ))
            skip_ranges.append((decl_start, decl_start + len(text)))

    # ---- line heads: fn and type headers, use/export/mod. `_HEAD` is tried
    # only on lines whose first word can start one (see `_HEAD_LINE`).
    block_ranges.sort()
    block_starts = [b[0] for b in block_ranges]
    headers: list[tuple[int, int, str, bool, int]] = []  # (start, end, name, is_fn, name_start)
    decl_names: set[int] = set()
    use_heads: list[tuple[int, int, str, int]] = []
    line_starts = [m.end() - len(m.group()) + 1 for m in _HEAD_LINE.finditer(masked, cs, ce)]
    if not line_starts or line_starts[0] != cs:
        line_starts.insert(0, cs)
    head_match = _HEAD.match
    for hpos in line_starts:
        if hpos >= ce:
            continue
        ci = chunk_of(hpos)
        cce = cends[ci]
        m = head_match(masked, hpos, cce)
        if m is None:
            continue
        fn_name = m.group(3)
        if fn_name is not None:
            ns = m.start(3)
            if block_ranges:
                bi = bisect_right(block_starts, ns) - 1
                if bi >= 0 and ns < block_ranges[bi][1]:
                    continue
            hs = m.start() + len(m.group(1))
            headers.append((hs, _block_end(src, hs, len(m.group(1)), cce), fn_name, True, ns))
            decl_names.add(ns)
        elif m.group(4) is not None:
            hs = m.start() + len(m.group(1))
            name = m.group(5) or m.group(4)
            headers.append((hs, _block_end(src, hs, len(m.group(1)), cce), name, False, m.start(4)))
            decl_names.add(m.start(4))
        else:
            mods = m.group(2)
            kw = m.group(6)
            if kw is None:
                if "export" in mods:
                    use_heads.append((m.start() + len(m.group(1)), m.end(), "export", cce))
            else:
                kind = "export" if "export" in mods else ("mod" if kw == "mod" else "use")
                use_heads.append((m.start() + len(m.group(1)), m.end(), kind, cce))
    headers.sort()

    stack: list[tuple[int, int, str, bool, int]] = []
    functions = res.functions
    starts = index.starts
    for h in headers:
        while stack and stack[-1][1] <= h[0]:
            stack.pop()
        if h[3]:
            ns = h[4]
            if focus is None or h[2] in focus:
                functions.append(lazy_function(h[2], stack[-1][2] if stack else None, anchor, h[4]))
        stack.append(h)

    fn_ranges = [h for h in headers if h[3]]

    # local externs get their enclosing function (one sorted walk, like calls)
    if fn_ranges and res.externs:
        fixed = []
        k = 0
        open_fns: list[tuple[int, int, str, bool, int]] = []
        for e in sorted(res.externs, key=lambda x: x.span.start):
            at = e.span.start
            while k < len(fn_ranges) and fn_ranges[k][0] < at:
                while open_fns and open_fns[-1][1] <= fn_ranges[k][0]:
                    open_fns.pop()
                open_fns.append(fn_ranges[k])
                k += 1
            while open_fns and open_fns[-1][1] <= at:
                open_fns.pop()
            if open_fns and not _in_block_call(masked, at, open_fns[-1][0]):
                e = replace(e, enclosing_fn=open_fns[-1][2])
            fixed.append(e)
        res.externs = fixed

    # ---- use / export / mod
    for start, body_start, kind, cce in use_heads:
        _use_item(src, res, start, body_start, kind, cce)
    skip_ranges.extend((u.span.start, u.span.end) for u in res.uses)

    # ---- calls (found right to left in the reversed text, walked left to right)
    calls = res.calls
    fi = 0
    nf = len(fn_ranges)
    fstack: list[tuple[int, int, str, bool, int]] = []
    skip_ranges.sort()
    si = 0
    ns_ = len(skip_ranges)
    n = len(masked)
    rev = src.reversed_masked()
    not_calls = _NOT_CALLS
    l_new, (l_name, l_count, l_enc, l_qual, l_at) = _L_NEW, _L_SET
    find = masked.find
    if focus is None:
        found = list(_CALL_REV.finditer(rev, n - ce, n - cs))
    else:
        # names are matched reversed: compare them with the reversed focus, and
        # keep only those matches (most calls of a file are not of externs)
        rfocus = _reversed_focus(focus)
        found = [m for m in _CALL_REV.finditer(rev, n - ce, n - cs) if m.group(1) in rfocus]
    found.reverse()
    ci = 0
    cce = cends[0]
    last_chunk = len(cends) - 1
    for m in found:
        e1 = m.end(1)
        s = n - e1
        name = m.group(1)
        if len(name) > 1:
            name = name[::-1]
        if name in not_calls or s in decl_names or (focus is not None and name not in focus):
            continue
        prev = masked[s - 1] if s else "\n"
        if prev == "@" or prev == "$":
            continue
        while si < ns_ and skip_ranges[si][1] <= s:
            si += 1
        if si < ns_ and skip_ranges[si][0] <= s:
            continue
        if prev == "[" and s >= 2 and masked[s - 2] == "#":
            continue
        while ci < last_chunk and cends[ci] <= s:
            ci += 1
            cce = cends[ci]
        open_pos = n - 1 - m.start()
        # `_arg_count`, inlined for the common flat argument list
        close = find(")", open_pos + 1, cce)
        seg = masked[open_pos + 1:close] if close >= 0 else "("
        if "(" in seg or "[" in seg or "{" in seg or "\\" in seg:
            count, close = _arg_count(masked, open_pos, cce)
        else:
            st = seg.strip()
            if not st:
                count = 0
            elif "..." in seg or st[0] == "*":
                count = None
            else:
                count = seg.count(",") + (0 if st[-1] == "," else 1)
        while fi < nf and fn_ranges[fi][0] <= s:
            while fstack and fstack[-1][1] <= fn_ranges[fi][0]:
                fstack.pop()
            fstack.append(fn_ranges[fi])
            fi += 1
        while fstack and fstack[-1][1] <= s:
            fstack.pop()
        # filled in place (see positions.lazy_call): this loop runs once per
        # call of every file, the hottest code of a cold run
        o = l_new(LazyCallSite)
        l_name(o, name)
        l_count(o, count)
        l_enc(o, fstack[-1][2] if fstack else None)
        l_qual(o, prev == ".")
        l_at(o, (anchor, s, open_pos, close))
        calls.append(o)

    # ---- suppressions
    i = bisect_left(src.comment_starts, cs)
    comments = src.comments
    while i < len(comments) and comments[i].start < ce:
        c = comments[i]
        if "sffi:" in c.text:
            for sm in _SUPPRESS.finditer(c.text):
                codes = tuple(x.strip().upper() for x in (sm.group(2) or "").split(",") if x.strip())
                res.suppressions.append(Suppression(
                    codes, index.line_of(c.start), sm.group(1) is not None,
                    index.span(c.start + sm.start(), c.start + sm.end()),
                ))
        i += 1


_RFOCUS: list = [None, frozenset()]  # (focus, its names reversed): one set per run, not per file


def _reversed_focus(focus: frozenset[str]) -> frozenset[str]:
    if _RFOCUS[0] is not focus:
        _RFOCUS[:] = [focus, frozenset(n[::-1] for n in focus)]
    return _RFOCUS[1]


def _inline_attrs(src: Source, a: int, b: int) -> tuple[Attribute, ...]:
    out = []
    for m in re.finditer(r"@([\w.]+)(\(((?:[^()\n]|\((?:[^()\n]|\([^()\n]*\))*\))*)\))?", src.masked[a:b]):
        args = src.text[a + m.start(3):a + m.end(3)] if m.group(2) else None
        out.append(Attribute(m.group(1), args, src.index.span(a + m.start(), a + m.end())))
    return tuple(out)


def _extern_block(src: Source, res: ChunkResult, m: re.Match[str], decl_start: int, indent: int,
                  after: int, ce: int, skip_ranges: list[tuple[int, int]],
                  block_ranges: list[tuple[int, int]]) -> None:
    masked = src.masked
    index = src.index
    le = masked.find("\n", after, ce)
    le = ce if le < 0 else le
    head = masked[decl_start:le].rstrip()
    if masked.startswith('"', after):
        close = masked.find('"', after + 1, le)
        kind, name = "C", None
        block_label = src.text[after:close + 1] if close > 0 else '"C"'
        ok = close > 0 and masked[close + 1:le].strip() == ":"
    else:
        # (the compiler parses `extern class` as a class: generics, bases or
        # `with` clauses may follow the name; only the name is needed here)
        hm = re.match(rf"class[ \t]+({_N})(?:[^\n]*:)?[ \t]*\Z", masked[after:le].rstrip())
        kind = "class"
        name = hm.group(1) if hm else None
        block_label = f"class {name}"
        ok = hm is not None
    if not ok:
        res.problems.append(SyntaxProblem(
            "malformed extern block: expected `extern class Name:` or `extern \"C\":`",
            index.span(decl_start, decl_start + len(head)),
        ))
        skip_ranges.append((decl_start, decl_start + len(head)))
        return
    end = _block_end(src, decl_start, indent, ce)
    block_ranges.append((decl_start, end))
    skip_ranges.append((decl_start, decl_start + len(head)))
    members: list[ExternDecl] = []
    for mm in _MEMBER.finditer(masked, le, end):
        if len(mm.group(1)) <= indent:
            continue
        ms = mm.start() + len(mm.group(1))
        got = _read_signature(src, res, ms, len(mm.group(1)), end, "extern block member")
        if got is None:
            continue
        sig, mend = got
        skip_ranges.append((ms, mend))
        attrs, doc = _leading(src, index.line_of(ms), index.line_of(le))
        members.append(_extern_decl(src, sig, ms, mend, attrs, doc, False, block_label))
    attrs, doc = _leading(src, index.line_of(decl_start), index.line_of(res.start))
    res.extern_blocks.append(ExternBlock(kind, name, index.span(decl_start, end), tuple(members)))
    res.externs.extend(members)


_USE_BODY = re.compile(r"[A-Za-z_][\w]*(?:(?:\.|::)[A-Za-z_*][\w]*)*")


def _use_item(src: Source, res: ChunkResult, start: int, body_start: int, kind: str, ce: int) -> None:
    masked = src.masked
    end, _ = _decl_end(masked, start, 10**9, ce, stop_at_colon=False)
    body = " ".join(masked[body_start:end].split())
    if not body:
        return
    span = src.index.span(start, start + len(masked[start:end].rstrip()))
    if kind == "mod":
        m = re.match(r"[A-Za-z_]\w*", body)
        if m:
            res.uses.append(UseItem("mod", m.group(), (), span))
        return
    if masked[body_start - 1:body_start] != " " and kind == "export" and masked[start:body_start].strip() != "export":
        pass
    low = masked[start:body_start].split()
    if kind == "export" and low and low[0] == "export" and (len(low) == 1):
        # `export a, b, C`
        names = tuple(n.strip() for n in body.split(",") if n.strip())
        res.uses.append(UseItem("export", "", names, span))
        return
    # use paths: a.b.{x, y as z} | a.b.* | a.b* | a.b.item | a::b::{c} | a.b (c)
    brace = re.search(r"(\.|::)?\s*\{([^}]*)\}?", body)
    if brace:
        path = body[:brace.start()].strip()
        names = tuple(n.strip().split(" as ")[0].strip() for n in brace.group(2).split(",") if n.strip())
    elif "(" in body:
        path = body[:body.index("(")].strip()
        inner = body[body.index("(") + 1:].rstrip(")")
        names = tuple(n.strip().split(" as ")[0].strip() for n in inner.split(",") if n.strip())
    else:
        target = body.split(" as ")[0].strip()
        if target.endswith("*"):
            path = target[:-1].rstrip(".:")
            names = ("*",)
        else:
            sep = "::" if "::" in target and "." not in target else "."
            if sep in target:
                path, _, last = target.rpartition(sep)
                names = (last,)
            else:
                path, names = target, ()
    res.uses.append(UseItem(kind, path, names, span))
