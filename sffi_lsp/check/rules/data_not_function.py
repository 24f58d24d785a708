"""SFFI003 data-not-function."""

from __future__ import annotations

from ..types import ResolutionStatus, Rule, Severity
from ._common import provider_related, short, with_status

RULE = Rule(
    code="SFFI003",
    name="data-not-function",
    severity=Severity.ERROR,
    summary="The symbol exists but is a data object (or TLS), not a function.",
    doc="""
## What it does
Reports an extern whose name a library does export, but as a variable
(`STT_OBJECT`, `STT_COMMON` or `STT_TLS`) rather than as a function.

## Why is this bad?
`dlsym` happily returns the address of the variable and the runtime then jumps
into data: a crash (or worse) at the first call.

## Example
```c
int rt_counter_value = 0;           /* a global variable in the C library */
```
```simple
extern fn rt_counter_value() -> i64  # not a function
```
Export a function (`int64_t rt_counter_get(void)`) and declare that instead.
""",
)


def check(ctx):
    for _, decl, res in with_status(ctx, ResolutionStatus.DATA_NOT_FUNCTION):
        lib = res.found.provider if res.found else (res.provider.library if res.provider else None)
        kind = res.found.symbol.kind.value if res.found else "data"
        yield RULE.finding(
            decl.path,
            decl.name_span,
            f"`{decl.name}` in {short(lib)} is a {kind} symbol, not a function; calling it would jump into data",
            symbol=decl.name,
            related=provider_related(decl, res),
        )
