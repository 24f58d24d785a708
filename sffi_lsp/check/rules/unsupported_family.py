"""SFFI007 unsupported-family."""

from __future__ import annotations

from ..types import ResolutionStatus, Rule, Severity
from ._common import with_status

RULE = Rule(
    code="SFFI007",
    name="unsupported-family",
    severity=Severity.ERROR,
    summary="The extern belongs to a prefix family the runtime knows but does not support.",
    doc="""
## What it does
Reports externs whose prefix is one of the runtime's known-but-unsupported
families (`builtins.unsupported-families` in the configuration).

## Why is this bad?
The runtime recognises the prefix and fails the call with a family-specific
error before it ever looks at libraries, so no library can provide it.

## Example
```simple
extern fn rt_vulkan_init() -> i64   # "rt_vulkan_" is known but unsupported
```
""",
)


def check(ctx):
    for _, decl, res in with_status(ctx, ResolutionStatus.UNSUPPORTED_FAMILY):
        family = next((p for p in ctx.config.unsupported_families if decl.name.startswith(p)), None)
        fam = f" `{family}`" if family else ""
        msg = f"`{decl.name}` belongs to the family{fam} that the runtime knows but does not support"
        if res.note:
            msg += f": {res.note.rstrip('.')}"
        yield RULE.finding(decl.path, decl.name_span, msg, symbol=decl.name)
