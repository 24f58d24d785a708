"""SFFI021 compiled-gap."""

from __future__ import annotations

from ..types import Rule, Severity
from ._runtime import judged, related

RULE = Rule(
    code="SFFI021",
    name="compiled-gap",
    severity=Severity.ERROR,
    summary="Handled by the interpreter but not registered for compiled code: fails to load compiled with `Undefined symbol`.",
    doc="""
## What it does
With the runtime's sources known, reports externs the interpreter handles
(dispatch table, match arm, family module) that the runtime does not register
for compiled code (`CORE_REQUIRED_RUNTIME_SYMBOLS` / `RUNTIME_SYMBOL_NAMES` in
`runtime_symbols.rs`). Only when `runtime.modes` includes `"compiled"`; a
project that only ever runs interpreted sets `runtime.modes = ["interpreter"]`.

## Why is this bad?
The program runs under `bin/simple` and fails when compiled (native, JIT,
`.smf`): loading stops with `Undefined symbol: NAME`.

## Example
```simple
extern fn rt_pix_blit(x: i64, y: i64) -> i64   # an interpreter family name, not in the registry
```
Add the name to the runtime's registry, or keep the program interpreted.
""",
)


def check(ctx):
    for _source, decl, provider, v in judged(ctx):
        if "compiled" not in provider.modes or v.compiled or not v.interpreter.handled:
            continue
        yield RULE.finding(
            decl.path, decl.name_span,
            f"`{decl.name}` is handled by the interpreter ({v.interpreter.describe()}) but not registered for "
            f"compiled code: a compiled program fails to load with `Undefined symbol: {decl.name}`",
            symbol=decl.name, related=related(decl, v),
        )
