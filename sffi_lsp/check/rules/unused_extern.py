"""SFFI012 unused-extern."""

from __future__ import annotations

from ..types import Fix, Rule, Severity, TextEdit

RULE = Rule(
    code="SFFI012",
    cross_file=True,
    name="unused-extern",
    severity=Severity.INFO,
    summary="An extern is never called (nor exported) anywhere in the checked tree.",
    doc="""
## What it does
Reports externs whose name is not called anywhere in the checked files and not
named in an `export`/`use` list. Public (`pub`) externs count as used only if
something uses them too, since a checked tree is usually a whole project.

## Why is this bad?
Unused externs still have to be provided by some library, so they cause
spurious unresolved-extern errors, slow start-up lookups, and mislead readers
about what the program needs.

## Example
```simple
extern fn rt_legacy_init() -> i64   # nothing calls it any more
```
""",
)


def check(ctx):
    for source in ctx.workspace.files:
        for decl in source.externs:
            if ctx.workspace.is_referenced(decl.name):
                continue
            yield RULE.finding(
                decl.path,
                decl.name_span,
                f"`{decl.name}` is declared but never called in the checked tree",
                symbol=decl.name,
                fixes=(Fix("Remove the unused declaration", (TextEdit(decl.path, decl.span, ""),)),),
            )
