"""SFFI020 interpreter-gap."""

from __future__ import annotations

from ..types import Rule, Severity
from ._runtime import judged, related

RULE = Rule(
    code="SFFI020",
    name="interpreter-gap",
    severity=Severity.ERROR,
    summary="Registered for compiled code but reachable by no interpreter path: fails in `bin/simple` with `unknown extern function`.",
    doc="""
## What it does
With the runtime's sources known (`runtime.source`, or a checked path inside a
Simple checkout), reports externs the runtime registers for compiled code
(`runtime_symbols.rs`) that no interpreter path handles: not a row of its
dispatch table, not a match arm, not a name its wildcard family modules list,
and not exported by the dynamic fallback library. Only when `runtime.modes`
includes `"interpreter"`.

## Why is this bad?
The program works when compiled and fails when interpreted: `bin/simple
file.spl` and `bin/simple test` stop with `semantic: unknown extern function:
NAME` the first time the extern is called.

## Example
```simple
extern fn rt_env_vars() -> [text]   # in RUNTIME_SYMBOL_NAMES, in no interpreter table
```
Register the name in the interpreter's dispatch table, or keep the call on
compiled-only paths.
""",
)


def check(ctx):
    for _source, decl, provider, v in judged(ctx):
        if "interpreter" not in provider.modes or not v.compiled:
            continue
        if v.interpreter.handled or v.interpreter.how in ("refused", "family-missing"):
            continue
        yield RULE.finding(
            decl.path, decl.name_span,
            f"`{decl.name}` is registered for compiled code but reachable by no interpreter path: it works "
            f"compiled, and fails in `bin/simple` / `bin/simple test` with `unknown extern function: {decl.name}`",
            symbol=decl.name, related=related(decl, v),
        )
