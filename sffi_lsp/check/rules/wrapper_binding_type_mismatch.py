"""SFFI033 wrapper-binding-type-mismatch."""

from __future__ import annotations

from ..tiers import compare_binding
from ..types import Fix, Related, Rule, Severity, TextEdit
from ._wrapper import spec_span, spec_tiers

RULE = Rule(
    code="SFFI033",
    name="wrapper-binding-type-mismatch",
    severity=Severity.ERROR,
    cross_file=True,  # judged against the spec and the other files\' externs
    summary="A binding's parameter or result types differ from what its wrapper spec implies.",
    doc="""
## What it does
Compares each `extern fn` that a `.wrapper_spec` generates with its declaration
in the bindings: the number of parameters, each parameter type and the result,
after the generator's mapping (handle types are `i64`; a method takes the
handle first; an empty or `void` return means no result). Parameter names do
not count. Reported on the binding's line; the quick fix rewrites it as the
generator would.

## Why is this bad?
The library is built from the spec: a binding that passes a `text` where the
native function takes an `i64` handle (or returns nothing where it returns a
value) corrupts arguments or results at run time, with no error.

## Example
```simple
# spec: - handle: DemoBox / name: size / return: i64
extern fn rt_demo_demobox_size(handle: i64) -> i32   # the spec implies i64
```
""",
)


def check(ctx):
    for tiers in spec_tiers(ctx):
        for e in tiers.expected:
            for decl in tiers.bindings[e.symbol]:
                diffs = compare_binding(e, decl)
                if not diffs:
                    continue
                spec_at = spec_span(e.line, e.column, e.length)
                related = (Related(tiers.spec.path, spec_at, f"generated from {e.origin} `{e.entry.name if e.entry else e.symbol}` of this spec"),)
                message = f"`{e.symbol}` disagrees with the wrapper spec: " + "; ".join(d.message for d in diffs)
                fix = Fix(f"Rewrite as `{e.declaration()}`", (TextEdit(decl.path, decl.span, e.declaration()),),
                          preferred=True)
                yield RULE.finding(decl.path, decl.name_span, message, symbol=e.symbol, related=related,
                                   fixes=(fix,))
