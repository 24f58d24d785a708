"""Reading extern declarations out of a chunk: their leading attributes and doc comment,
the signature text handed to `decl.py`, spans, and `extern { ... }` blocks."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import Callable

from sffi_lsp.model import Attribute, ExternBlock, ExternDecl, Param, Span, SyntaxProblem, TypeRef
from sffi_lsp.syntax.chunks import _is_directive_line
from sffi_lsp.syntax.decl import DeclError, Signature, TypeSig, parse_signature
from sffi_lsp.syntax.lexer import comment_body
from sffi_lsp.syntax.positions import fast_constructor, make_span
from sffi_lsp.syntax.source import (
    ChunkResult,
    MAX_PROBLEMS,
    Source,
    _N,
    _balance,
    _block_end,
    _decl_end,
    _matching,
)
_new_type_ref = fast_constructor(TypeRef)
_new_param = fast_constructor(Param)
_new_extern = fast_constructor(ExternDecl)
_MEMBER = re.compile(
    rf"^([ \t]+)(?:pub(?:\([^()\n]*\))?[ \t]+)?(?:static[ \t]+)?(?:fn|me(?:[ \t]+fn)?)[ \t]+({_N})",
    re.M,
)


_ATTR = re.compile(r"@([A-Za-z_][\w.]*)|#\[")


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
