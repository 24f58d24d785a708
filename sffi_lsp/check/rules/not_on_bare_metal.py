"""SFFI022 not-on-bare-metal."""

from __future__ import annotations

from ..types import Rule, Severity
from ._runtime import judged, related

RULE = Rule(
    code="SFFI022",
    name="not-on-bare-metal",
    severity=Severity.ERROR,
    summary="The runtime drops this name on a bare-metal target (its tier is Sys or Async).",
    doc="""
## What it does
With the runtime's sources known and `runtime.bare-metal = true`, reports
externs registered for compiled code whose tier (`symbol_tier_of` in
`runtime_symbols.rs`) is one that `runtime_symbols_for_baremetal` drops (Sys and
Async: I/O, files, environment, processes, threads, futures).

## Why is this bad?
A bare-metal build links only the Core, Alloc and Ext tiers; the program fails
to link or load there with `Undefined symbol: NAME`.

## Example
```simple
extern fn rt_env_get(key: text) -> text   # tier Sys: not on bare metal
```
""",
)


def check(ctx):
    for _source, decl, provider, v in judged(ctx):
        if not provider.bare_metal or "compiled" not in provider.modes or not v.compiled or v.on_baremetal:
            continue
        yield RULE.finding(
            decl.path, decl.name_span,
            f"`{decl.name}` is in the runtime's {v.tier} tier, which a bare-metal target drops: it fails to load "
            f"there with `Undefined symbol: {decl.name}`",
            symbol=decl.name, related=related(decl, v),
        )
