"""SFFI009 conflicting-declarations."""

from __future__ import annotations

from ..types import Related, Rule, Severity
from ._common import is_class_member, place, same_context, shape, signature_key

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
(parameter names may differ). Types are compared normalised: spacing and
alias spellings (`str`/`text`, `int`/`i64`) do not count, and `-> ()`,
`-> void` and no result are the same. Each finding names the file and line of
a declaration with another signature, in every output format.

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
        keys = {id(d): signature_key(d) for d in decls}
        if len(decls) < 2 or len(set(keys.values())) < 2:
            continue
        for decl in decls:
            others = [
                o for o in decls
                if o.path != decl.path and keys[id(o)] != keys[id(decl)] and same_context(o, decl)
            ]
            if not others:
                continue
            other = others[0]
            more = f" (and {len(others) - 1} more declaration{'s' if len(others) > 2 else ''})" if len(others) > 1 else ""
            yield RULE.finding(
                decl.path,
                decl.name_span,
                f"`{name}` is declared here as `{shape(decl)}` but as `{shape(other)}` in "
                f"{place(ctx, other.path, other.name_span)}{more}",
                symbol=name,
                related=tuple(Related(o.path, o.name_span, f"`{name}` declared as `{shape(o)}`") for o in others),
            )
