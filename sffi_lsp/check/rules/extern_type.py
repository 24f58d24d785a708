"""SFFI016 extern-type."""

from __future__ import annotations

from ..types import Rule, Severity

RULE = Rule(
    code="SFFI016",
    name="extern-type",
    severity=Severity.ERROR,
    summary="`extern type` does not exist in Simple: use an `i64` handle.",
    doc="""
## What it does
Reports `extern type Name` declarations, which some bindings generators emit.

## Why is this bad?
The Simple parser rejects `extern type`. Opaque native objects cross the FFI
as `i64` handles.

## Example
```simple
extern type Window
extern fn rt_window_open(title: text) -> Window
```
Use instead:
```simple
extern fn rt_window_open(title: text) -> i64   # a handle
```
""",
)


def check(ctx):
    for source in ctx.workspace.files:
        for span in source.extern_types:
            yield RULE.finding(
                source.path,
                span,
                "`extern type` is not part of Simple (the runtime's parser rejects it); represent the native object as an `i64` handle",
            )
