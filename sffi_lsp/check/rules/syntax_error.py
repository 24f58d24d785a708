"""SFFI015 syntax-error."""

from __future__ import annotations

from ..types import Rule, Severity

RULE = Rule(
    code="SFFI015",
    name="syntax-error",
    severity=Severity.ERROR,
    summary="A malformed declaration stops an extern from being read.",
    doc="""
## What it does
Reports syntax problems that stop the checker from reading an extern
declaration (an unclosed parameter list, a missing type, a stray token in the
signature), once, on that declaration; the rest of the file is still read.
Other syntax errors are left to the Simple compiler's own tools.

## Why is this bad?
An extern that cannot be read cannot be checked, and the compiler will reject
the file anyway.

## Example
```simple
extern fn rt_open(path: text, -> i64
```
""",
)


def check(ctx):
    for source in ctx.workspace.files:
        for problem in source.problems:
            yield RULE.finding(source.path, problem.span, problem.message)
