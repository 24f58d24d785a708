"""SFFI032 wrapper-binding-missing."""

from __future__ import annotations

from ...model import Span
from ..types import Fix, Related, Rule, Severity, TextEdit
from ._common import rename_fix
from ._wrapper import binding_file, spec_span, spec_tiers

RULE = Rule(
    code="SFFI032",
    name="wrapper-binding-missing",
    severity=Severity.ERROR,
    cross_file=True,  # judged against the spec and the other files\' externs
    summary="A wrapper spec function or method has no `extern fn` in the bindings (or one under another name).",
    doc="""
## What it does
Works out the externs the wrapper generator emits for each `.wrapper_spec`
(`rt_<name>_available`, `rt_<name>_version`, `rt_` + the qualified name of each
function, `rt_<name>_<handle>_<method>` with the handle first) and reports,
on the spec's line, each one that no `.spl` file in the checked tree declares.
When a binding with a close name exists (`rt_demo_box_nwe`), it is named as
the likely intended one (and not reported again as unbacked). The quick fix
adds the generated declaration to the bindings file.

## Why is this bad?
Tier 3 (the Simple classes) calls the generated name: a missing or misnamed
binding fails with `unknown extern function` at run time, although the
library exports the function.

## Example
```sdn
wrapper_lib:
  name: demo
functions:
  - name: box_new         # the bindings declare `rt_demo_box_nwe`
    return: i64
```
""",
)


def _insertion(ctx, tiers) -> tuple[str, Span] | None:
    source = binding_file(ctx, tiers)
    if source is None:
        return None
    last = max((d for d in tiers.prefixed if d.path == source.path), key=lambda d: d.span.end_line)
    line = last.span.end_line + 1
    return source.path, Span(0, 0, line, 0, line, 0)


def check(ctx):
    for tiers in spec_tiers(ctx):
        where = _insertion(ctx, tiers)
        for e in tiers.expected:
            if tiers.bindings[e.symbol]:
                continue
            near = tiers.missing_bindings.get(e.symbol, ())
            related: tuple[Related, ...] = ()
            fixes: tuple[Fix, ...] = ()
            if near:
                decl = next(d for d in tiers.prefixed if d.name == near[0])
                related = (Related(decl.path, decl.name_span, f"`{near[0]}` is declared here"),)
                source = ctx.workspace.get(decl.path)
                if source is not None:
                    fixes = (rename_fix(source, decl, e.symbol),)
                message = (f"the bindings declare `{near[0]}` where the spec's {e.origin} `{e.entry.name if e.entry else e.origin}` "
                           f"generates `{e.symbol}`: did you mean `{e.symbol}`?")
            else:
                message = f"the spec's {e.origin} generates `{e.symbol}`, but no `extern fn {e.symbol}` is declared"
            if where is not None:
                fixes += (Fix(f"Add `{e.declaration()}`", (TextEdit(where[0], where[1], e.declaration() + "\n"),)),)
            yield RULE.finding(tiers.spec.path, spec_span(e.line, e.column, e.length), message, symbol=e.symbol,
                               related=related, fixes=fixes)
