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
and not exported by the dynamic fallback library (`libsimple_runtime.so` where
the runtime looks for it: the checkout's `bin/`, `lib/`, `target/{debug,release,
bootstrap}/`, or `runtime-library`). A name only that fallback reaches is
reported when one of its parameters cannot cross it as a single `i64` (a
`text`, an array, a float). Only when `runtime.modes` includes `"interpreter"`.

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


_SCALARS = frozenset({"i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "bool", "isize", "usize"})


def _not_one_i64(decl) -> list[str]:
    """Parameters the dlopen fallback cannot pass (it passes every argument as one i64)."""
    out = []
    for p in decl.params:
        text = p.type.text if p.type is not None else "?"
        if text not in _SCALARS:
            out.append(f"`{p.name}: {text}`")
    return out


def check(ctx):
    for _source, decl, provider, v in judged(ctx):
        if "interpreter" not in provider.modes or not v.compiled:
            continue
        if v.interpreter.how == "dynamic":
            bad = _not_one_i64(decl)
            if bad:
                yield RULE.finding(
                    decl.path, decl.name_span,
                    f"`{decl.name}` reaches `bin/simple` only through the dlopen fallback (libsimple_runtime.so), "
                    f"which passes every argument as one i64: {', '.join(bad)} cannot cross it",
                    symbol=decl.name, related=related(decl, v),
                )
            continue
        if v.interpreter.handled or v.interpreter.how in ("refused", "family-missing"):
            continue
        yield RULE.finding(
            decl.path, decl.name_span,
            f"`{decl.name}` is registered for compiled code but reachable by no interpreter path: it works "
            f"compiled, and fails in `bin/simple` / `bin/simple test` with `unknown extern function: {decl.name}`",
            symbol=decl.name, related=related(decl, v),
        )
