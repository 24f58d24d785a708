"""Offsets to 0-based (line, code-point column) positions and `Span`s."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate
from typing import Any, Callable

from sffi_lsp.model import CallSite, FunctionDecl, Span

# Spans and call sites are made by the ten thousand; the frozen dataclasses'
# generated __init__ goes through object.__setattr__ per field, about four
# times slower than filling the slots directly. Same objects, same values.
_S_NEW = Span.__new__
_S_SET = tuple(getattr(Span, f).__set__ for f in Span.__slots__)  # type: ignore[attr-defined]
_C_NEW = CallSite.__new__
_C_SET = tuple(getattr(CallSite, f).__set__ for f in CallSite.__slots__)  # type: ignore[attr-defined]


def make_span(start: int, end: int, sl: int, sc: int, el: int, ec: int) -> Span:
    s = _S_NEW(Span)
    a, b, c, d, e, f = _S_SET
    a(s, start)
    b(s, end)
    c(s, sl)
    d(s, sc)
    e(s, el)
    f(s, ec)
    return s


def make_call(name: str, span: Span, arg_count: int | None, enclosing_fn: str | None,
              qualified: bool, args_span: Span | None) -> CallSite:
    o = _C_NEW(CallSite)
    a, b, c, d, e, f = _C_SET
    a(o, name)
    b(o, span)
    c(o, arg_count)
    d(o, enclosing_fn)
    e(o, qualified)
    f(o, args_span)
    return o


class LineIndex:
    """Line starts of a text; builds spans from code-point offsets."""

    __slots__ = ("starts",)

    def __init__(self, text: str) -> None:
        # every line start: 0, then one past each "\n" (C-level, no Python loop per line)
        self.starts: list[int] = list(
            accumulate(map((1).__add__, map(len, text.split("\n"))), initial=0)
        )[:-1]

    @classmethod
    def spliced(cls, old: "LineIndex", text: str, p: int, q: int, delta: int) -> "LineIndex":
        """The index of `text`, made from `old` (the index of a text that had the
        same first `p` and last `q` code points; `delta`: new length - old length)."""
        ostarts = old.starts
        n_new = len(text)
        stop = n_new - q
        starts = ostarts[:bisect_right(ostarts, p)]  # lines starting in the common prefix
        find = text.find
        i = find("\n", p, stop)
        while i >= 0:
            starts.append(i + 1)
            i = find("\n", i + 1, stop)
        starts.extend([s + delta for s in ostarts[bisect_left(ostarts, n_new - delta - q + 1):]])
        index = cls.__new__(cls)
        index.starts = starts
        return index

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line_of(self, offset: int) -> int:
        return bisect_right(self.starts, offset) - 1

    def span(self, start: int, end: int) -> Span:
        starts = self.starts
        sl = bisect_right(starts, start) - 1
        if end == start:
            return make_span(start, end, sl, start - starts[sl], sl, start - starts[sl])
        el = bisect_right(starts, end, sl) - 1
        return make_span(start, end, sl, start - starts[sl], el, end - starts[el])


def fast_constructor(cls: type) -> "Callable[..., Any]":
    """A constructor for a frozen slotted model dataclass that fills the slots
    directly (same parameters and defaults as the class; no default factories).

    The generated `__init__` of a frozen dataclass sets each field through
    `object.__setattr__`; building the model of a cold run makes tens of
    thousands of these objects, and this is about three times faster. The
    objects are the same (same class, same values, equal and hashable alike)."""
    import dataclasses

    fields = cls.__slots__  # type: ignore[attr-defined]
    defaults = {f.name: f.default for f in dataclasses.fields(cls)
                if f.default is not dataclasses.MISSING}
    params = ", ".join(f"{f}=default_{f}" if f in defaults else f for f in fields)
    body = "".join(f"    set_{f}(o, {f})\n" for f in fields)
    code = f"def ctor({params}):\n    o = new(cls)\n{body}    return o\n"
    ns: dict[str, Any] = {"new": cls.__new__, "cls": cls}
    ns.update({f"default_{k}": v for k, v in defaults.items()})
    ns.update({f"set_{f}": getattr(cls, f).__set__ for f in fields})
    exec(code, ns)  # noqa: S102 - generated from the class's own field names
    return ns["ctor"]


_CS_SPAN = CallSite.__dict__["span"]  # the slots of the dataclass itself
_CS_ARGS = CallSite.__dict__["args_span"]


def _span_in(starts: list[int], start: int, end: int) -> Span:
    sl = bisect_right(starts, start) - 1
    el = sl if end == start else bisect_right(starts, end, sl) - 1
    return make_span(start, end, sl, start - starts[sl], el, end - starts[el])


class Anchor:
    """Where the lazily placed items of one chunk (calls, functions) are now.

    Items keep the offsets they were scanned at; `offset` is how far their
    chunk has moved since (`base`: the chunk's start when it was scanned),
    `starts` the line-start table of the text the chunk is now part of, and
    `gen` counts moves (a cached span is valid while `gen` is unchanged).
    An editor moves every chunk below an edit: re-placing one anchor instead
    of rebuilding each of its calls made a one-character edit near the top of
    a 170 KB file about 4x cheaper (incremental.py). `claim` marks the model
    version that placed the chunk, so one anchor never serves two places."""

    __slots__ = ("starts", "base", "offset", "gen", "claim")

    def __init__(self, starts: list[int], base: int = 0, offset: int = 0) -> None:
        self.starts = starts
        self.base = base
        self.offset = offset
        self.gen = 0
        self.claim: object = None

    def move_to(self, starts: list[int], start: int) -> None:
        """The chunk now starts at `start` in a text with line starts `starts`.

        (The place is set before `gen` changes, and readers read `gen` first:
        a reader on another thread never caches a new place as an old one.)"""
        self.starts = starts
        offset = start - self.base
        if offset != self.offset:
            self.offset = offset
            self.gen += 1


class LazyCallSite(CallSite):
    """A `CallSite` whose two spans are made on first use.

    A cold run reads tens of thousands of calls and looks at the span of a
    handful (the ones a finding is about); an editor moves every call below an
    edit. So a call keeps its offsets as scanned plus its chunk's `Anchor`,
    and builds `span` / `args_span` when asked (cached until the chunk moves).
    Equal, hashable and printable like any `CallSite`; it pickles as a plain
    `CallSite`. A model's lazy items follow their chunk: after
    `IncrementalParser.update`, the previous model's moved calls report their
    new places (the server only keeps the latest model)."""

    # (anchor, name start, "(" offset, ")" offset or -1) as scanned; the anchor
    # generation each cached span was made for
    __slots__ = ("_at", "_ks", "_ka")

    @property  # type: ignore[override]
    def span(self) -> Span:
        try:
            anchor, s, _, _ = self._at
        except AttributeError:  # made by dataclasses.replace(): a plain value
            return _CS_SPAN.__get__(self)
        gen = anchor.gen  # read before the place: a move sets the place, then bumps gen
        try:
            if self._ks == gen:
                return _CS_SPAN.__get__(self)
        except AttributeError:
            pass
        s += anchor.offset
        v = _span_in(anchor.starts, s, s + len(self.name))
        _CS_SPAN.__set__(self, v)
        _SET_KS(self, gen)
        return v

    @span.setter
    def span(self, value: Span) -> None:
        _CS_SPAN.__set__(self, value)

    @property  # type: ignore[override]
    def args_span(self) -> Span | None:
        try:
            anchor, _, open_pos, close = self._at
        except AttributeError:
            return _CS_ARGS.__get__(self)
        gen = anchor.gen
        try:
            if self._ka == gen:
                return _CS_ARGS.__get__(self)
        except AttributeError:
            pass
        o = anchor.offset
        v = None if close < 0 else _span_in(anchor.starts, open_pos + o, close + 1 + o)
        _CS_ARGS.__set__(self, v)
        _SET_KA(self, gen)
        return v

    @args_span.setter
    def args_span(self, value: Span | None) -> None:
        _CS_ARGS.__set__(self, value)

    def _fields(self) -> tuple:
        return (self.name, self.span, self.arg_count, self.enclosing_fn, self.qualified, self.args_span)

    # equal to a plain CallSite with the same fields (the dataclass `__eq__`
    # only compares objects of one class)
    def __eq__(self, other: object) -> bool:
        if isinstance(other, CallSite):
            return self._fields() == (other.name, other.span, other.arg_count, other.enclosing_fn,
                                      other.qualified, other.args_span)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return "CallSite(name=%r, span=%r, arg_count=%r, enclosing_fn=%r, qualified=%r, args_span=%r)" % (
            self._fields())

    def __reduce__(self):  # type: ignore[override]
        return (CallSite, (self.name, self.span, self.arg_count, self.enclosing_fn, self.qualified,
                           self.args_span))


_L_NEW = LazyCallSite.__new__
# (the frozen parent's __setattr__ refuses every attribute: slots are set directly)
_SET_KS = LazyCallSite.__dict__["_ks"].__set__
_SET_KA = LazyCallSite.__dict__["_ka"].__set__
# name, arg_count, enclosing_fn, qualified (the CallSite slots a lazy call fills)
# then the LazyCallSite slots
_L_SET = (
    CallSite.__dict__["name"].__set__, CallSite.__dict__["arg_count"].__set__,
    CallSite.__dict__["enclosing_fn"].__set__, CallSite.__dict__["qualified"].__set__,
    LazyCallSite.__dict__["_at"].__set__,
)


def lazy_call(name: str, arg_count: int | None, enclosing_fn: str | None, qualified: bool,
              anchor: Anchor, start: int, open_pos: int, close: int) -> LazyCallSite:
    """A call named at `start`, its argument list from `open_pos` to `close` (-1: unclosed),
    offsets as scanned in the chunk that `anchor` places."""
    o = _L_NEW(LazyCallSite)
    a, b, c, d, e = _L_SET
    a(o, name)
    b(o, arg_count)
    c(o, enclosing_fn)
    d(o, qualified)
    e(o, (anchor, start, open_pos, close))
    return o


def _lazy_call_reducer(c: LazyCallSite) -> tuple:
    try:
        return lazy_call, (c.name, c.arg_count, c.enclosing_fn, c.qualified, *c._at)
    except AttributeError:  # made by dataclasses.replace(): no offsets, spans are set
        return c.__reduce__()


def _span_reducer(s: Span) -> tuple:
    return make_span, (s.start, s.end, s.start_line, s.start_column, s.end_line, s.end_column)


def register_process_pickling() -> None:
    """Send models between processes compactly (`multiprocessing` only).

    A worker's lazy calls travel as offsets plus the file's line-start table
    (shared by all calls of the file, so pickled once) instead of two spans
    each, and spans are rebuilt by `make_span`. The on-disk cache is not
    affected: plain `pickle` still writes plain model classes."""
    from multiprocessing.reduction import ForkingPickler

    ForkingPickler.register(LazyCallSite, _lazy_call_reducer)
    ForkingPickler.register(LazyFunctionDecl, _lazy_function_reducer)
    ForkingPickler.register(Span, _span_reducer)


_FD_SPAN = FunctionDecl.__dict__["name_span"]


class LazyFunctionDecl(FunctionDecl):
    """A `FunctionDecl` whose `name_span` is made on first use (as `LazyCallSite`:
    a cold run reads ten thousand functions and the checker only wants names)."""

    __slots__ = ("_a", "_s", "_k")  # anchor, name offset as scanned, generation of the cached span

    @property  # type: ignore[override]
    def name_span(self) -> Span:
        try:
            anchor = self._a
        except AttributeError:
            return _FD_SPAN.__get__(self)
        gen = anchor.gen
        try:
            if self._k == gen:
                return _FD_SPAN.__get__(self)
        except AttributeError:
            pass
        s = self._s + anchor.offset
        v = _span_in(anchor.starts, s, s + len(self.name))
        _FD_SPAN.__set__(self, v)
        _SET_K(self, gen)
        return v

    @name_span.setter
    def name_span(self, value: Span) -> None:
        _FD_SPAN.__set__(self, value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FunctionDecl):
            return (self.name, self.name_span, self.enclosing) == (other.name, other.name_span, other.enclosing)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.name, self.name_span, self.enclosing))

    def __repr__(self) -> str:
        return "FunctionDecl(name=%r, name_span=%r, enclosing=%r)" % (self.name, self.name_span, self.enclosing)

    def __reduce__(self):  # type: ignore[override]
        return (FunctionDecl, (self.name, self.name_span, self.enclosing))


_F_NEW = LazyFunctionDecl.__new__
_SET_K = LazyFunctionDecl.__dict__["_k"].__set__
_F_SET = (FunctionDecl.__dict__["name"].__set__, FunctionDecl.__dict__["enclosing"].__set__,
          LazyFunctionDecl.__dict__["_a"].__set__, LazyFunctionDecl.__dict__["_s"].__set__)


def lazy_function(name: str, enclosing: str | None, anchor: Anchor, start: int) -> LazyFunctionDecl:
    """A function declared with its name at `start` (as scanned in the chunk `anchor` places)."""
    o = _F_NEW(LazyFunctionDecl)
    a, b, c, d = _F_SET
    a(o, name)
    b(o, enclosing)
    c(o, anchor)
    d(o, start)
    return o


def _lazy_function_reducer(f: LazyFunctionDecl) -> tuple:
    try:
        return lazy_function, (f.name, f.enclosing, f._a, f._s)
    except AttributeError:
        return f.__reduce__()
