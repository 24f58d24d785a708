"""Re-read only what changed: the editor's incremental parser.

`IncrementalParser.update(text)` finds the edited range, re-masks and re-splits
only around it (until the split meets the old chunk boundaries again), and
looks the chunks there up by their exact text in the results of the previous
two updates. Every other chunk is reused, moved to its new place (calls and
functions are lazy objects, so moving them builds no span). Only new or edited
chunks are scanned again. A chunk's result
depends on nothing but its own text (chunks start outside strings, comments
and brackets), which is what makes the text a sound cache key; `@when` blocks,
which do span chunks, are applied when the chunks are joined.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import replace

from sffi_lsp.model import (
    Attribute,
    CallSite,
    ExternBlock,
    ExternDecl,
    FunctionDecl,
    Param,
    SourceFile,
    Span,
    Suppression,
    SyntaxProblem,
    TypeRef,
    UseItem,
)
from sffi_lsp.syntax.parser import assemble, parse_source
from sffi_lsp.syntax.lexer import Comment, mask_range
from sffi_lsp.syntax.positions import (
    Anchor,
    LazyCallSite,
    LazyFunctionDecl,
    LineIndex,
    fast_constructor,
    lazy_call,
    lazy_function,
    make_span,
)
from sffi_lsp.syntax.chunks import split_chunks, split_chunks_until
from sffi_lsp.syntax.scanner import scan_chunk
from sffi_lsp.syntax.source import _ONE_BRACKET, _RESET, Chunk, ChunkResult, Source, _balance


def _sp(s: Span, do: int, dl: int) -> Span:
    return make_span(s.start + do, s.end + do, s.start_line + dl, s.start_column,
                     s.end_line + dl, s.end_column)


_new_type_ref = fast_constructor(TypeRef)
_new_param = fast_constructor(Param)
_new_extern = fast_constructor(ExternDecl)
_new_comment = fast_constructor(Comment)


def _type(t: TypeRef, do: int, dl: int) -> TypeRef:
    return _new_type_ref(
        t.kind, t.text, t.name,
        tuple(_type(a, do, dl) for a in t.args) if t.args else (),
        _type(t.returns, do, dl) if t.returns is not None else None,
        t.mutable,
        _sp(t.span, do, dl) if t.span is not None else None,
    )


def _extern(e: ExternDecl, do: int, dl: int) -> ExternDecl:
    # every field of ExternDecl, by keyword (a field added later keeps its value
    # through `replace` below, which the test-suite compares with a full parse)
    moved = _new_extern(
        name=e.name,
        name_span=_sp(e.name_span, do, dl),
        span=_sp(e.span, do, dl),
        params=tuple(
            _new_param(p.name, _type(p.type, do, dl) if p.type is not None else None,
                       _sp(p.span, do, dl), _sp(p.name_span, do, dl), p.default_text)
            for p in e.params
        ),
        returns=_type(e.returns, do, dl) if e.returns is not None else None,
        generics=e.generics,
        is_pub=e.is_pub,
        attributes=tuple(Attribute(a.name, a.args_text, _sp(a.span, do, dl)) for a in e.attributes)
        if e.attributes else (),
        doc=e.doc,
        when=e.when,
        enclosing_fn=e.enclosing_fn,
        block=e.block,
        trailing_comment=e.trailing_comment,
        path=e.path,
    )
    return moved if len(ExternDecl.__slots__) == _EXTERN_FIELDS else replace(  # type: ignore[attr-defined]
        e, name_span=moved.name_span, span=moved.span, params=moved.params, returns=moved.returns,
        attributes=moved.attributes)


_EXTERN_FIELDS = 14


def _copy_calls(calls: list[CallSite], anchor: Anchor | None, do: int, dl: int) -> list[CallSite]:
    """The calls of a chunk placed by a new `anchor` (a chunk whose text occurs
    twice in one version: each place needs its own anchor)."""
    out = []
    for c in calls:
        at = getattr(c, "_at", None)
        if type(c) is LazyCallSite and at is not None:
            out.append(lazy_call(c.name, c.arg_count, c.enclosing_fn, c.qualified, anchor, *at[1:]))
        else:  # not made by the scanner; kept exact
            out.append(CallSite(c.name, _sp(c.span, do, dl), c.arg_count, c.enclosing_fn, c.qualified,
                                _sp(c.args_span, do, dl) if c.args_span is not None else None))
    return out


def _copy_functions(functions: list[FunctionDecl], anchor: Anchor | None, do: int, dl: int) -> list[FunctionDecl]:
    return [lazy_function(f.name, f.enclosing, anchor, f._s) if isinstance(f, LazyFunctionDecl) and hasattr(f, "_a")
            else FunctionDecl(f.name, _sp(f.name_span, do, dl), f.enclosing) for f in functions]


def place(r: ChunkResult, start: int, line: int, starts: list[int], claim: object) -> ChunkResult:
    """`r` (a chunk's result) for the same text at `start`/`line` of the version
    `claim` stands for, whose line starts are `starts`.

    Calls and functions are placed by the chunk's `Anchor`: moving them is one
    assignment, and `r` itself is moved (results belong to the parser; an
    older model only shares item lists, which are rebuilt, never mutated).
    Only the few eager items (externs, uses, suppressions, problems) are
    rebuilt. An anchor already claimed by this version (the same text at two
    places), or a result without one, gets a copy with items of its own."""
    anchor = r.anchor
    do, dl = start - r.start, line - r.line
    if anchor is not None and anchor.claim is not claim:
        anchor.claim = claim
        anchor.move_to(starts, start)
        _shift_eager(r, do, dl)
        return r
    fresh = None
    if anchor is not None:
        fresh = Anchor(starts, anchor.base, start - anchor.base)
        fresh.claim = claim
    moved = replace(r, anchor=fresh)
    _shift_eager(moved, do, dl)
    if r.calls:
        moved.calls = _copy_calls(r.calls, fresh, do, dl)
    if r.functions:
        moved.functions = _copy_functions(r.functions, fresh, do, dl)
    return moved


def _shift_eager(r: ChunkResult, do: int, dl: int) -> None:
    """Move `r` and its eager items (not the anchored calls and functions)
    `do` code points and `dl` lines further down, in place."""
    if do == 0 and dl == 0:
        return
    r.start += do
    r.line += dl
    if r.extern_blocks:
        members = {id(m): _extern(m, do, dl) for b in r.extern_blocks for m in b.members}
        r.extern_blocks = [ExternBlock(b.kind, b.name, _sp(b.span, do, dl), tuple(members[id(m)] for m in b.members))
                           for b in r.extern_blocks]
    else:
        members = {}
    if r.externs:
        r.externs = [members.get(id(e)) or _extern(e, do, dl) for e in r.externs]
    if r.extern_types:
        r.extern_types = [_sp(s, do, dl) for s in r.extern_types]
    if r.uses:
        r.uses = [UseItem(u.kind, u.path, u.names, _sp(u.span, do, dl)) for u in r.uses]
    if r.suppressions:
        r.suppressions = [Suppression(s.codes, s.line + dl, s.file_wide, _sp(s.span, do, dl) if s.span else None,
                                      s.whole_comment)
                          for s in r.suppressions]
    if r.problems:
        r.problems = [SyntaxProblem(p.message, _sp(p.span, do, dl)) for p in r.problems]
    if r.directives:
        r.directives = [(o + do, k, c) for o, k, c in r.directives]


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix (binary search over C-level slice compares)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    lo, hi = 0, limit
    la, lb = len(a), len(b)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid:la - lo] == b[lb - mid:lb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


class IncrementalParser:
    """Keeps the chunks of the last version of one document.

    >>> p = IncrementalParser("a.spl")
    >>> model = p.update(text)          # first call: reads everything
    >>> model = p.update(edited_text)   # later calls: only what changed

    An update finds the edited range (common prefix/suffix with the previous
    text), masks from the chunk before the edit to the first unchanged chunk
    after it where the lexer and brackets are back in a clean state, splices
    the masked text, bracket view and line index, re-splits from the chunk
    before the edit until a boundary coincides with an old one beyond the
    re-masked range (`split_chunks_until`), and reuses every other chunk
    (moved by the edit's length). Chunks of the re-read range are also looked
    up by their text, so undo/redo and moved blocks are cheap too.
    """

    def __init__(self, path: str = "") -> None:
        self.path = path
        self._src: Source | None = None
        self._chunks: list[Chunk] = []
        self._results: list[ChunkResult] = []
        self._by_text: dict[str, ChunkResult] = {}
        self._prev_by_text: dict[str, ChunkResult] = {}
        self._keys: list[str] = []
        self._model: SourceFile | None = None
        self.last_reused = 0  # chunks reused by the last update (tests, benchmarks)
        self.last_scanned = 0

    @property
    def fresh(self) -> bool:
        """Nothing read yet: the next update reads the whole text."""
        return self._model is None

    def update(self, text: str) -> SourceFile:
        """The model of `text`, reusing unchanged chunks. Never raises."""
        try:
            if self._src is None or self._model is None:
                return self._full(text)
            if text == self._src.text:
                return self._model
            return self._edit(text)
        except Exception:
            self._src = None
            self._model = None
            return parse_source(text, self.path)

    # -- whole text
    def _full(self, text: str) -> SourceFile:
        src = Source.of(text, self.path)
        chunks = split_chunks(src)
        claim = object()
        keys = [text[c.start:c.end] for c in chunks]
        results = [self._result_for(src, c, key, claim) for c, key in zip(chunks, keys)]
        return self._commit(src, chunks, results, keys, len(results), 0, claim)

    def _result_for(self, src: Source, c: Chunk, key: str, claim: object) -> ChunkResult:
        r = self._by_text.get(key) or self._prev_by_text.get(key)
        if r is None:
            r = scan_chunk(src, c)
            if r.anchor is not None:
                r.anchor.claim = claim
            return r
        return place(r, c.start, c.line, src.index.starts, claim)

    def _commit(self, src: Source, chunks: list[Chunk], results: list[ChunkResult], keys: list[str],
                scanned: int, reused: int, claim: object) -> SourceFile:
        # every anchor of this version to the current line table (chunks that
        # did not move: same line numbers, but an old table would stay alive)
        starts = src.index.starts
        for r in results:
            a = r.anchor
            if a is not None and a.claim is claim:
                a.starts = starts
        self._src, self._chunks, self._results = src, chunks, results
        # keep the previous generation too, so undo finds the chunks it brings back
        self._prev_by_text = self._by_text
        # the chunks' texts, kept: an unchanged chunk's key is the same str
        # object next time (its hash is cached), no slicing of the whole text
        self._keys = keys
        self._by_text = dict(zip(keys, results))
        self.last_scanned, self.last_reused = scanned, reused
        self._model = assemble(self.path, results, src.index.line_count)
        return self._model

    # -- one edit
    def _edit(self, text: str) -> SourceFile:
        old = self._src
        assert old is not None
        otext = old.text
        n_old, n_new = len(otext), len(text)
        p = _common_prefix(otext, text)
        q = _common_suffix(otext, text, min(n_old, n_new) - p)
        delta = n_new - n_old
        chunks = self._chunks
        cstarts = [c.start for c in chunks]
        i = bisect_right(cstarts, p) - 1
        r = max(0, i - 1)  # the chunk before may take new doc/attribute lines
        lo = chunks[r].start if chunks else 0
        # first chunk lying wholly in the unchanged suffix, then one more
        j = bisect_left(cstarts, n_old - q) + 1
        while True:
            x_old = cstarts[j] if j < len(chunks) else n_old
            x_new = x_old + delta
            if x_new < lo:
                j += 1
                continue
            mid, mid_comments, overrun = mask_range(text, lo, x_new)
            if j < len(chunks) and (overrun or (_balance(mid, 0, len(mid)) != 0
                                                and not _RESET.match(text, x_new))):
                j += 1
                continue
            if j >= len(chunks):
                mid, mid_comments, _ = mask_range(text, lo, n_new)
                x_old, x_new = n_old, n_new
            break
        masked = old.masked[:lo] + mid + old.masked[x_old:]
        if masked and masked[0] == "\ufeff":
            masked = " " + masked[1:]
        k0 = bisect_left(old.comment_starts, lo)
        k1 = bisect_left(old.comment_starts, x_old)
        comments = old.comments[:k0] + mid_comments + [
            _new_comment(c.start + delta, c.end + delta, c.text) for c in old.comments[k1:]
        ]
        src = Source(self.path, text, masked, comments, LineIndex.spliced(old.index, text, p, q, delta))
        src.comment_starts = [c.start for c in comments]
        if old._brk is not None and len(masked) == n_new:
            # the bracket view, spliced like the masked text (`Source.brackets`)
            ob = old._brk
            src._brk = ob[:lo] + masked[lo:len(masked) - (n_old - x_old)].translate(_ONE_BRACKET) + ob[x_old:]
        # Re-split from `lo` only until the split meets one of the old
        # boundaries beyond the re-masked range: from there on the old chunks
        # are the new ones, moved by the edit.
        known_from = bisect_left(cstarts, x_old)
        known = {c + delta for c in cstarts[known_from:]}
        mid_chunks, stop = split_chunks_until(src, lo, n_new, known, x_new)
        head = bisect_left(cstarts, lo)
        claim = object()
        starts = src.index.starts
        results = self._results[:head]
        for r in results:  # unmoved chunks keep their anchors (claimed first)
            if r.anchor is not None:
                r.anchor.claim = claim
        tail: list[tuple[Chunk, ChunkResult]] = []
        if stop is not None:
            dl = src.index.line_count - old.index.line_count
            k = bisect_left(cstarts, stop - delta)
            tail = [(Chunk(c.start + delta, c.end + delta, c.line + dl), r)
                    for c, r in zip(chunks[k:], self._results[k:])]
        scanned = 0
        keys = self._keys[:head]
        for c in mid_chunks:
            key = text[c.start:c.end]
            keys.append(key)
            hit = self._by_text.get(key) or self._prev_by_text.get(key)
            if hit is None:
                scanned += 1
                r = scan_chunk(src, c)
                if r.anchor is not None:
                    r.anchor.claim = claim
                results.append(r)
            else:
                results.append(place(hit, c.start, c.line, starts, claim))
        new_chunks = chunks[:head] + mid_chunks
        for c, r in tail:
            new_chunks.append(c)
            results.append(place(r, c.start, c.line, starts, claim))
        if tail:
            keys.extend(self._keys[len(self._keys) - len(tail):])
        return self._commit(src, new_chunks, results, keys, scanned, len(new_chunks) - scanned, claim)
