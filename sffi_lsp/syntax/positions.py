"""Offsets to 0-based (line, code-point column) positions and `Span`s."""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from typing import Any, Callable

from sffi_lsp.model import CallSite, Span

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
