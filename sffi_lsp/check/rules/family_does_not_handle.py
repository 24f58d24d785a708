"""SFFI024 family-does-not-handle."""

from __future__ import annotations

from ..types import Rule, Severity
from ._runtime import judged, related

RULE = Rule(
    code="SFFI024",
    name="family-does-not-handle",
    severity=Severity.ERROR,
    summary="The interpreter sends this prefix to a family module that does not handle the name.",
    doc="""
## What it does
With the runtime's sources known, reports externs whose prefix the
interpreter sends to a wildcard family module (`name.starts_with("rt_sdl2_")`
→ `sdl2::dispatch`) when that module does not list the name, while the
runtime registers it for compiled code. (A name neither handled nor
registered is reported by SFFI007.) Only when `runtime.modes` includes
`"interpreter"`.

## Why is this bad?
Interpreted, the call fails inside the family module (`NAME: unknown
rt_sdl2_* function`), even though the compiled program has the symbol.

## Example
```simple
extern fn rt_pix_rotate(h: i64) -> i64   # rt_pix_ goes to pix.rs, which has no rt_pix_rotate
```
""",
)


def check(ctx):
    for _source, decl, provider, v in judged(ctx):
        if "interpreter" not in provider.modes or v.interpreter.how != "family-missing":
            continue
        yield RULE.finding(
            decl.path, decl.name_span,
            f"`{decl.name}`: the interpreter's {v.interpreter.describe()}: it fails in `bin/simple`, though it is "
            "registered for compiled code",
            symbol=decl.name, related=related(decl, v),
        )
