"""SFFI036 wrapper-binding-unbacked."""

from __future__ import annotations

from ..types import Related, Rule, Severity
from ._wrapper import spec_span, spec_tiers

RULE = Rule(
    code="SFFI036",
    name="wrapper-binding-unbacked",
    severity=Severity.INFO,
    cross_file=True,  # judged against the spec and the other files\' externs
    summary="An `extern fn rt_<name>_*` is backed by no entry of the `<name>` wrapper spec.",
    doc="""
## What it does
For each `.wrapper_spec` named `<name>`, reports (as information) every
`extern fn rt_<name>_...` of its bindings files (the files that declare at
least one of the spec's externs) that the generator would not emit from the
spec: not a function, method, `available`/`version`, handle
`drop_fn` or (for `lang: rust`) `rt_<name>_free_string`. A binding already
named by a missing-binding finding as its likely misspelling is not reported
again.

## Why is this bad?
Regenerating the bindings from the spec drops it; and nothing makes sure the
library keeps exporting it. Either the spec lacks an entry or the binding is
stale.

## Example
```simple
extern fn rt_demo_box_resize(handle: i64, size: i64)   # no `resize` method in demo.wrapper_spec
```
""",
)


def check(ctx):
    for tiers in spec_tiers(ctx):
        explained = {n for near in tiers.missing_bindings.values() for n in near[:1]}
        spec = tiers.spec
        # the bindings files: those declaring one of the spec's externs (an `rt_<name>_*`
        # elsewhere -- a runtime built-in sharing the prefix -- is not the wrapper's)
        binding_files = {d.path for decls in tiers.bindings.values() for d in decls}
        for decl in tiers.prefixed:
            if decl.path not in binding_files or tiers.backed(decl.name) or decl.name in explained:
                continue
            yield RULE.finding(
                decl.path, decl.name_span,
                f"`{decl.name}` is not generated from wrapper spec `{spec.name}`: no function, method or "
                f"drop_fn of it yields this name",
                symbol=decl.name,
                related=(Related(spec.path, spec_span(spec.name_line, spec.name_column, len(spec.name)),
                                 f"wrapper spec `{spec.name}`"),))
