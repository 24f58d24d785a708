"""SFFI005 provided-via-dependency."""

from __future__ import annotations

from ..types import Related, ResolutionStatus, Rule, Severity
from ._common import short, with_status

RULE = Rule(
    code="SFFI005",
    name="provided-via-dependency",
    severity=Severity.INFO,
    summary="Resolved only through a dependency of the configured library (a warning when the project links it with -l).",
    doc="""
## What it does
Reports an extern that the configured library does not define itself: `dlsym`
finds it in one of the library's `DT_NEEDED` dependencies.

## Why is this bad?
At run time this works (`dlsym` on a handle searches the whole dependency
tree), so it is informational. But a linker given `-lfoo` does not accept such
an indirect symbol, and the extern silently breaks if the library stops
depending on the provider. When the library is configured with `linked = true`
the finding is a warning.

## Example
`libtorch.so` exports no function itself; everything comes from
`libtorch_cpu.so`. Configure the library that really defines the symbols.
""",
)


def check(ctx):
    for _, decl, res in with_status(ctx, ResolutionStatus.RESOLVED):
        found = res.found
        via = (found.via if found is not None else ()) or (res.provider.via if res.provider else ())
        if not via:
            continue
        provider = found.provider if found is not None else (res.provider.library if res.provider else None)
        requested = res.library.path if res.library is not None else via[0]
        spec = ctx.library_spec_for(res.library.spec if res.library else None, requested)
        linked = spec is not None and spec.linked
        chain = " -> ".join(short(p) for p in (requested, *via) if p) if via[0] != requested else " -> ".join(short(p) for p in via)
        msg = f"`{decl.name}` is not defined by {short(requested)} itself but by its dependency {short(provider)} ({chain})"
        if linked:
            msg += "; linking with -l will not find it"
        yield RULE.finding(
            decl.path,
            decl.name_span,
            msg,
            symbol=decl.name,
            severity=Severity.WARNING if linked else None,
            related=(Related(decl.path, None, f"provider: {res.provider.describe()}"),) if res.provider else (),
        )
