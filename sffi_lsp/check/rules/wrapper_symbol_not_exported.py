"""SFFI034 wrapper-symbol-not-exported."""

from __future__ import annotations

import os

from ..types import Related, Rule, Severity
from ._wrapper import spec_span, spec_tiers, suggestions_in

RULE = Rule(
    code="SFFI034",
    name="wrapper-symbol-not-exported",
    severity=Severity.ERROR,
    summary="The built wrapper library does not export a symbol its spec generates, or a `drop_fn` exists nowhere.",
    doc="""
## What it does
Finds the library built from each `.wrapper_spec`: the tier-1 crate's
`target/{release,debug}/libsimple_<name>_ffi.so` (under `.build/rust/ffi_<name>/`,
`build/artifacts/rust/ffi_<name>/` or next to the spec), `lib<name>.so` or the
spec's `link` libraries in its `search_paths`, or a configured library. Reports
on the spec's line each generated symbol that library does not export as a
function (naming a close export when there is one), and each handle type's
`drop_fn` that neither the library exports nor any binding declares. A spec
with no built library yet gets no finding.

## Why is this bad?
The bindings and the library were generated from different versions of the
spec (or the crate was edited by hand): the binding exists, the call fails
with `unknown extern function` (or `Undefined symbol`) at run time. A `drop_fn`
that exists nowhere leaks every handle.

## Example
```sdn
handle_types:
  - name: DemoBox
    drop_fn: "rt_demo_box_free"     # the library exports rt_demo_demobox_free
```
""",
)


def check(ctx):
    from ...binary.types import AbsenceReason, Absent, Found  # noqa: PLC0415

    for tiers in spec_tiers(ctx):
        lib = tiers.library
        path = getattr(lib, "path", None)
        name = os.path.basename(path) if path else None
        if path:
            for e in tiers.expected:
                ans = tiers.answers.get(e.symbol)
                if isinstance(ans, Found) and ans.symbol.kind.is_function:
                    continue
                if isinstance(ans, Found):
                    why = f"it is a {ans.symbol.kind.value} symbol, not a function"
                elif isinstance(ans, Absent) and ans.reason is AbsenceReason.NOT_PRESENT:
                    why = "no such symbol"
                elif isinstance(ans, Absent):
                    why = ans.detail or ans.reason.value.replace("-", " ")
                else:
                    why = "not looked up"
                near = suggestions_in(tiers.export_names, e.symbol)
                hint = f"; it exports `{near[0]}`" if near else ""
                yield RULE.finding(
                    tiers.spec.path, spec_span(e.line, e.column, e.length),
                    f"{name} does not export `{e.symbol}` ({why}){hint}", symbol=e.symbol, suggestions=near,
                    related=(Related(path, None, f"library built for spec `{tiers.spec.name}`: {path}"),))
        for h in tiers.spec.handle_types:
            if not h.drop_fn:
                continue
            exported = isinstance(tiers.answers.get(h.drop_fn), Found)
            declared = bool(ctx.workspace.externs_named(h.drop_fn))
            if exported or declared:
                continue
            near = suggestions_in(tuple(tiers.export_names) + tuple(d.name for d in tiers.prefixed), h.drop_fn)
            where = f"{name} does not export it" if name else "no built library was found"
            hint = f"; did you mean `{near[0]}`?" if near else ""
            line = h.drop_fn_line if h.drop_fn_line is not None else h.line
            column = h.drop_fn_column if h.drop_fn_line is not None else h.column
            length = len(h.drop_fn) + 2 if h.drop_fn_line is not None else len(h.name)
            yield RULE.finding(
                tiers.spec.path, spec_span(line, column, length),
                f"`drop_fn` `{h.drop_fn}` of handle `{h.name}` exists nowhere: no binding declares it and "
                f"{where}{hint}", symbol=h.drop_fn, suggestions=near)
