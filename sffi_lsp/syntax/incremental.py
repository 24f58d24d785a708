"""Re-read only what changed: the editor's incremental parser.

`IncrementalParser.update(text)` masks and splits the new text (linear, C-speed
regexes), then looks every top-level chunk up by its exact text in the results
of the previous update. A chunk seen before is reused with its spans moved to
its new place; only new or edited chunks are scanned again. A chunk's result
depends on nothing but its own text (chunks start outside strings, comments
and brackets), which is what makes the text a sound cache key; `@when` blocks,
which do span chunks, are applied when the chunks are joined.
"""

from __future__ import annotations

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
from sffi_lsp.syntax.scanner import ChunkResult, Source, scan_chunk, split_chunks


def _sp(s: Span, do: int, dl: int) -> Span:
    return Span(s.start + do, s.end + do, s.start_line + dl, s.start_column, s.end_line + dl, s.end_column)


def _type(t: TypeRef, do: int, dl: int) -> TypeRef:
    return replace(
        t,
        args=tuple(_type(a, do, dl) for a in t.args),
        returns=_type(t.returns, do, dl) if t.returns is not None else None,
        span=_sp(t.span, do, dl) if t.span is not None else None,
    )


def _extern(e: ExternDecl, do: int, dl: int) -> ExternDecl:
    return replace(
        e,
        name_span=_sp(e.name_span, do, dl),
        span=_sp(e.span, do, dl),
        params=tuple(
            Param(p.name, _type(p.type, do, dl) if p.type is not None else None,
                  _sp(p.span, do, dl), _sp(p.name_span, do, dl), p.default_text)
            for p in e.params
        ),
        returns=_type(e.returns, do, dl) if e.returns is not None else None,
        attributes=tuple(Attribute(a.name, a.args_text, _sp(a.span, do, dl)) for a in e.attributes),
    )


def shift_result(r: ChunkResult, do: int, dl: int) -> ChunkResult:
    """The same chunk result, `do` code points and `dl` lines further down."""
    members = {id(m): _extern(m, do, dl) for b in r.extern_blocks for m in b.members}
    return ChunkResult(
        start=r.start + do,
        line=r.line + dl,
        externs=[members.get(id(e)) or _extern(e, do, dl) for e in r.externs],
        extern_blocks=[
            ExternBlock(b.kind, b.name, _sp(b.span, do, dl), tuple(members[id(m)] for m in b.members))
            for b in r.extern_blocks
        ],
        extern_types=[_sp(s, do, dl) for s in r.extern_types],
        calls=[
            CallSite(c.name, _sp(c.span, do, dl), c.arg_count, c.enclosing_fn, c.qualified,
                     _sp(c.args_span, do, dl) if c.args_span is not None else None)
            for c in r.calls
        ],
        functions=[FunctionDecl(f.name, _sp(f.name_span, do, dl), f.enclosing) for f in r.functions],
        uses=[UseItem(u.kind, u.path, u.names, _sp(u.span, do, dl)) for u in r.uses],
        suppressions=[
            Suppression(s.codes, s.line + dl, s.file_wide, _sp(s.span, do, dl) if s.span else None)
            for s in r.suppressions
        ],
        problems=[SyntaxProblem(p.message, _sp(p.span, do, dl)) for p in r.problems],
        directives=[(o + do, k, c) for o, k, c in r.directives],
    )


class IncrementalParser:
    """Keeps the chunks of the last version of one document.

    >>> p = IncrementalParser("a.spl")
    >>> model = p.update(text)          # first call: reads everything
    >>> model = p.update(edited_text)   # later calls: only changed chunks
    """

    def __init__(self, path: str = "") -> None:
        self.path = path
        self._chunks: dict[str, ChunkResult] = {}
        self.last_reused = 0  # chunks reused by the last update (for tests and benchmarks)
        self.last_scanned = 0

    def update(self, text: str) -> SourceFile:
        """The model of `text`, reusing unchanged chunks. Never raises."""
        try:
            src = Source.of(text, self.path)
            chunks = split_chunks(src)
            fresh: dict[str, ChunkResult] = {}
            results: list[ChunkResult] = []
            reused = scanned = 0
            for c in chunks:
                key = text[c.start:c.end]
                r = self._chunks.get(key)
                if r is None:
                    r = scan_chunk(src, c)
                    scanned += 1
                else:
                    reused += 1
                    if r.start != c.start or r.line != c.line:
                        r = shift_result(r, c.start - r.start, c.line - r.line)
                fresh[key] = r
                results.append(r)
            self._chunks = fresh
            self.last_reused, self.last_scanned = reused, scanned
            return assemble(self.path, results, src.index.line_count)
        except Exception:
            self._chunks = {}
            return parse_source(text, self.path)
