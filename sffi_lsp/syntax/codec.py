"""A compact, versioned encoding of `SourceFile` models as nested tuples of plain values.

The model cache stores what a check needs from each file: one tuple per model
object, positional in the fields' order, without class names or paths. Calls
and functions the parser placed lazily (`positions.LazyCallSite`) are kept as
the offsets they were scanned at plus the file's line-start table (packed
bytes, once per file) and come back lazy: neither encoding nor decoding makes
their spans (measured on the issue-14 tree: making them was 60% of the cost
of pickling the models). Other fields are read with C-level `attrgetter`s.
The tuples are written with `pickle` and read back by an unpickler that may
name no class at all, so a planted cache file cannot run code. `decode`
rebuilds the model classes and rejects anything malformed with `ValueError`
(the caller re-parses).

Bump `CODEC_VERSION` whenever a model class gains, loses or reorders a field.
"""

from __future__ import annotations

import io
import pickle
import sys
from array import array
from operator import attrgetter

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
    TypeKind,
    TypeRef,
    UseItem,
)

from .positions import Anchor, LazyCallSite, LazyFunctionDecl, lazy_call, lazy_function

CODEC_VERSION = 2  # 2: Suppression.whole_comment
_LINE_TABLE = "I"  # array type of the line-start table (offsets below 4 Gi code points)

_SPAN = attrgetter("start", "end", "start_line", "start_column", "end_line", "end_column")
_TYPE = attrgetter("kind", "text", "name", "args", "returns", "mutable", "span")
_PARAM = attrgetter("name", "type", "span", "name_span", "default_text")
_ATTR = attrgetter("name", "args_text", "span")
_EXTERN = attrgetter("name", "name_span", "span", "params", "returns", "generics", "is_pub", "attributes", "doc",
                     "when", "enclosing_fn", "block", "trailing_comment")
_CALL = attrgetter("name", "span", "arg_count", "enclosing_fn", "qualified", "args_span")
_FUNC = attrgetter("name", "name_span", "enclosing")
_USE = attrgetter("kind", "path", "names", "span")
_SUPP = attrgetter("codes", "line", "file_wide", "span", "whole_comment")
_KINDS = {k: k.value for k in TypeKind}
_KIND_OF = {k.value: k for k in TypeKind}


def _type(t: TypeRef | None):
    if t is None:
        return None
    kind, text, name, args, returns, mutable, span = _TYPE(t)
    return (_KINDS[kind], text, name, tuple(map(_type, args)) if args else (), _type(returns), mutable,
            None if span is None else _SPAN(span))


def _extern(e: ExternDecl) -> tuple:
    (name, name_span, span, params, returns, generics, is_pub, attributes, doc, when, enclosing_fn, block,
     trailing) = _EXTERN(e)
    ps = []
    for p in params:
        pname, ptype, pspan, pname_span, default = _PARAM(p)
        ps.append((pname, _type(ptype), _SPAN(pspan), _SPAN(pname_span), default))
    attrs = tuple((a.name, a.args_text, _SPAN(a.span)) for a in attributes) if attributes else ()
    return (name, _SPAN(name_span), _SPAN(span), tuple(ps), _type(returns), generics, is_pub, attrs, doc, when,
            enclosing_fn, block, trailing)


def encode_externs(externs) -> tuple:
    """A list of externs of any files as ((path, encoded externs), ...) runs, in order."""
    runs: list[tuple[str, list]] = []
    for e in externs:
        if not runs or runs[-1][0] != e.path:
            runs.append((e.path, []))
        runs[-1][1].append(_extern(e))
    return tuple((p, tuple(es)) for p, es in runs)


def decode_externs(data) -> list[ExternDecl]:
    """The externs `encode_externs` wrote; ValueError when `data` is not that."""
    try:
        return [_dextern(e, path) for path, es in data for e in es]
    except Exception as exc:
        raise ValueError(f"malformed externs: {type(exc).__name__}") from None


def encode(model: SourceFile) -> tuple:
    """The model as nested tuples of str/int/bool/None (its path is not kept: the key has it)."""
    externs = model.externs
    at = {id(e): i for i, e in enumerate(externs)} if model.extern_blocks else {}
    blocks = []
    for b in model.extern_blocks:
        # members are the same objects as in `externs`: kept as indices (a stray one in full)
        blocks.append((b.kind, b.name, _SPAN(b.span),
                       tuple(at.get(id(m), None) if id(m) in at else _extern(m) for m in b.members)))
    starts = None  # the line table every lazy item of this model is placed by
    calls = []
    for c in model.calls:
        at = getattr(c, "_at", None) if type(c) is LazyCallSite else None
        if at is not None and (starts is None or at[0].starts is starts):
            anchor, s, o, e = at
            starts = anchor.starts
            d = anchor.offset
            # (name, start, "(" offset, ")" offset or -1, ...): 7 fields = lazy
            calls.append((c.name, s + d, o + d, e + d if e >= 0 else -1, c.arg_count, c.enclosing_fn, c.qualified))
            continue
        name, span, argc, enclosing, qualified, args_span = _CALL(c)
        calls.append((name, _SPAN(span), argc, enclosing, qualified, None if args_span is None else _SPAN(args_span)))
    functions = []
    for f in model.functions:
        anchor = getattr(f, "_a", None) if type(f) is LazyFunctionDecl else None
        if anchor is not None and (starts is None or anchor.starts is starts):
            starts = anchor.starts
            functions.append((f.name, f._s + anchor.offset, f.enclosing))  # an int: lazy
            continue
        name, span, enclosing = _FUNC(f)
        functions.append((name, _SPAN(span), enclosing))
    return (
        CODEC_VERSION,
        None if starts is None else (starts.tobytes() if isinstance(starts, array) and starts.typecode == _LINE_TABLE
                                     else array(_LINE_TABLE, starts).tobytes()),
        tuple(map(_extern, externs)),
        tuple(blocks),
        tuple(map(_SPAN, model.extern_types)),
        tuple(calls),
        tuple(functions),
        tuple((k, p, n, _SPAN(s)) for k, p, n, s in map(_USE, model.uses)),
        tuple((c, ln, fw, None if s is None else _SPAN(s), wc) for c, ln, fw, s, wc in map(_SUPP, model.suppressions)),
        tuple((p.message, _SPAN(p.span)) for p in model.problems),
        model.line_count,
    )


# ------------------------------------------------------------------------------------ decoding
# Names are interned: a tree declares the same extern in many files, and calls repeat names.
_intern = sys.intern


def _span(t) -> Span:
    return Span(*t)


def _dtype(t) -> TypeRef | None:
    if t is None:
        return None
    kind, text, name, args, returns, mutable, span = t
    return TypeRef(_KIND_OF[kind], text, None if name is None else _intern(name), tuple(map(_dtype, args)),
                   _dtype(returns), mutable, None if span is None else Span(*span))


def _dextern(t, path: str) -> ExternDecl:
    (name, name_span, span, params, returns, generics, is_pub, attrs, doc, when, enclosing_fn, block,
     trailing) = t
    ps = tuple(Param(_intern(pn), _dtype(pt), Span(*s), Span(*ns), d) for pn, pt, s, ns, d in params)
    return ExternDecl(_intern(name), Span(*name_span), Span(*span), ps, _dtype(returns), tuple(generics),
                      is_pub, tuple(Attribute(n, a, Span(*s)) for n, a, s in attrs), doc, when, enclosing_fn,
                      block, trailing, path)


def dumps(model: SourceFile) -> bytes:
    """`encode(model)` as bytes (a pickle without memo: the tuples form a tree)."""
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(encode(model))
    return buf.getvalue()


class _PlainUnpickler(pickle.Unpickler):
    """Plain values only: no class or callable may be named, so nothing can run."""

    def find_class(self, module: str, name: str):  # noqa: D102
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a model entry")


def loads(blob: bytes, path: str) -> SourceFile:
    """The model `dumps` wrote, for the file at `path`; ValueError when `blob` is not one."""
    try:
        data = _PlainUnpickler(io.BytesIO(blob)).load()
    except Exception as exc:  # truncated, corrupt or planted
        raise ValueError(f"unreadable model entry: {type(exc).__name__}") from None
    return decode(data, path)


def loads_externs(blob: bytes, path: str) -> list[ExternDecl]:
    """Only the externs of the model `dumps` wrote (a warm run that prints them needs no more)."""
    try:
        data = _PlainUnpickler(io.BytesIO(blob)).load()
        if data[0] != CODEC_VERSION:
            raise ValueError("another codec version")
        return [_dextern(e, path) for e in data[2]]
    except ValueError:
        raise
    except Exception as exc:
        raise ValueError(f"malformed model entry: {type(exc).__name__}") from None


def _dcall(c, anchor: Anchor | None) -> CallSite:
    if len(c) == 7:
        name, start, open_pos, close, argc, enclosing, qualified = c
        if anchor is None or not (type(start) is type(open_pos) is type(close) is int):
            raise ValueError("lazy call without a line table")
        return lazy_call(_intern(name), argc, enclosing, qualified, anchor, start, open_pos, close)
    n, s, a, e, q, r = c
    return CallSite(_intern(n), Span(*s), a, e, q, None if r is None else Span(*r))


def decode(data, path: str) -> SourceFile:
    """The model `encode` wrote, for the file at `path`; ValueError when `data` is not one."""
    try:
        (version, table, externs, blocks, extern_types, calls, functions, uses, suppressions, problems,
         line_count) = data
        if version != CODEC_VERSION or not isinstance(line_count, int):
            raise ValueError("another codec version")
        anchor = None
        if table is not None:
            starts = array(_LINE_TABLE)
            starts.frombytes(table)
            if not starts or starts[0] != 0:
                raise ValueError("malformed line table")
            anchor = Anchor(starts)  # type: ignore[arg-type]  (a sequence of ints, as bisect wants)
        ext = [_dextern(e, path) for e in externs]
        out = SourceFile(path=path, line_count=line_count)
        out.externs = ext
        out.extern_blocks = [
            ExternBlock(k, n, Span(*s), tuple(ext[m] if isinstance(m, int) else _dextern(m, path) for m in ms))
            for k, n, s, ms in blocks]
        out.extern_types = [Span(*s) for s in extern_types]
        out.calls = [_dcall(c, anchor) for c in calls]
        out.functions = [lazy_function(_intern(n), e, anchor, s) if type(s) is int and anchor is not None
                         else FunctionDecl(_intern(n), Span(*s), e) for n, s, e in functions]
        out.uses = [UseItem(k, p, tuple(n), Span(*s)) for k, p, n, s in uses]
        out.suppressions = [Suppression(tuple(c), ln, fw, None if s is None else Span(*s), wc)
                            for c, ln, fw, s, wc in suppressions]
        out.problems = [SyntaxProblem(m, Span(*s)) for m, s in problems]
        return out
    except ValueError:
        raise
    except Exception as exc:  # wrong shape, wrong types: a corrupt or foreign entry
        raise ValueError(f"malformed model entry: {type(exc).__name__}") from None
