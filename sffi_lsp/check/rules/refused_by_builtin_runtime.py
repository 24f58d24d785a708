"""SFFI006 refused-by-builtin-runtime."""

from __future__ import annotations

from ..types import ResolutionStatus, Rule, Severity
from ._common import provider_related, short, with_status

RULE = Rule(
    code="SFFI006",
    name="refused-by-builtin-runtime",
    severity=Severity.ERROR,
    summary="A library exports the symbol, but the builtin-only runtime refuses every extern it does not build in.",
    doc="""
## What it does
With `runtime-mode = "builtin-only"` (older Simple runtimes), reports externs
that are not in the runtime's built-in table even though a configured or
loaded library does export them.

## Why is this bad?
Such a runtime never loads libraries for externs: the call fails with
`unknown extern function` although `nm -D` shows the symbol. Users lose
hours on this one.

## Example
```simple
extern fn spl_zlib_crc32(data: [u8]) -> u32   # libspl_zlib.so has it, the runtime refuses it
```
Use a runtime with dynamic loading (`runtime-mode = "dynamic"`), or add the
function to the runtime's built-ins.
""",
)


def check(ctx):
    for _, decl, res in with_status(ctx, ResolutionStatus.REFUSED_BUILTIN_ONLY):
        lib = res.provider.library if res.provider else None
        where = f"{short(lib)} exports it" if lib else "a library exports it"
        yield RULE.finding(
            decl.path,
            decl.name_span,
            f"`{decl.name}` is not a built-in and the runtime is builtin-only: {where}, but the runtime refuses every extern it does not build in",
            symbol=decl.name,
            related=provider_related(decl, res),
        )
