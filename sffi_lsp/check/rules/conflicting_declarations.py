"""SFFI009 conflicting-declarations."""

from __future__ import annotations

from ..types import Related, Rule, Severity
from ._common import is_class_member, same_context, shape, signature_key

RULE = Rule(
    code="SFFI009",
    cross_file=True,
    name="conflicting-declarations",
    severity=Severity.WARNING,
    summary="The same symbol is declared with different signatures in different files.",
    doc="""
## What it does
Groups the extern declarations of the checked tree by symbol name and reports
declarations in different files whose parameter or return types differ
(parameter names may differ). Each finding points at a declaration with
another signature.

## Why is this bad?
Only one C function exists, so at least one of the declarations is wrong,
and the files that use it pass or read values of the wrong type.

## Example
```simple
# io/file.spl
extern fn rt_file_size(path: text) -> i64
# tools/du.spl
extern fn rt_file_size(path: text) -> i32
```
""",
)


def check(ctx):
    workspace = ctx.workspace
    for name in workspace.extern_names():
        named = workspace.externs_named(name)
        if len(named) < 2:  # most names are declared once: nothing to compare
            continue
        decls = [d for d in named if not is_class_member(d)]
        if len(decls) < 2 or len({signature_key(d) for d in decls}) < 2:
            continue
        for decl in decls:
            other = next(
                (
                    o
                    for o in decls
                    if o.path != decl.path and signature_key(o) != signature_key(decl) and same_context(o, decl)
                ),
                None,
            )
            if other is None:
                continue
            yield RULE.finding(
                decl.path,
                decl.name_span,
                f"`{name}` is declared here as `{shape(decl)}` but as `{shape(other)}` in another file",
                symbol=name,
                related=(Related(other.path, other.name_span, f"`{name}` declared as `{shape(other)}`"),),
            )
