"""SFFI031 wrapper-spec-unreadable."""

from __future__ import annotations

from ..types import Rule, Severity
from ._wrapper import spec_span, unreadable_specs

RULE = Rule(
    code="SFFI031",
    name="wrapper-spec-unreadable",
    severity=Severity.ERROR,
    summary="A `.wrapper_spec` cannot be read, or names nothing the generator can emit.",
    doc="""
## What it does
Reads every `*.wrapper_spec` under the checked paths (the SDN input of the
Simple wrapper generator, `simple wrapper-gen`) and reports one finding for a
spec that is not valid SDN (at the first bad line), and one for each entry the
generator would skip or misname: no `wrapper_lib.name`, a function without a
`name`, a method without a `handle`, a parameter without a `type`. The other
specs are checked as usual.

## Why is this bad?
The generator reads such a spec silently into empty names: the tiers it
emits (`rt__...` externs, an unnamed crate) cannot agree with anything, and
none of the three-tier checks can run on it.

## Example
```sdn
wrapper_lib:
  name: demo
functions:
  - name: box_new
    params:
      - name: size        # no `type:`: the binding gets `size: ` and does not parse
```
""",
)


def check(ctx):
    for bad in unreadable_specs(ctx):
        yield RULE.finding(bad.path, spec_span(bad.line, bad.column, 0),
                           f"cannot read the wrapper spec: {bad.message}")
    specs = [s for s in getattr(ctx.workspace, "specs", None) or [] if hasattr(s, "problems")]
    for spec in specs:
        for p in spec.problems:
            yield RULE.finding(spec.path, spec_span(p.line, p.column, 0), p.message)
